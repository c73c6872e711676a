-- Purchasable items (contract: D_ITEM). Small: a copy on every node.
CREATE TABLE IF NOT EXISTS analysis.d_item (
    item_key bigint NOT NULL /*redshift: ENCODE raw */,
    item_type varchar(64) NOT NULL /*redshift: ENCODE zstd */,
    item_id varchar(128) NOT NULL /*redshift: ENCODE zstd */,
    cart_type varchar(64) NOT NULL /*redshift: ENCODE zstd */,
    PRIMARY KEY (item_key)
)
/*redshift: DISTSTYLE ALL SORTKEY (item_key) */;
