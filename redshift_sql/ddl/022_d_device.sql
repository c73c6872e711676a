-- Device models (contract: D_DEVICE). Small: a copy on every node.
CREATE TABLE IF NOT EXISTS analysis.d_device (
    device_key bigint NOT NULL /*redshift: ENCODE raw */,
    platform varchar(32) NOT NULL /*redshift: ENCODE zstd */,
    os_version varchar(64) NOT NULL /*redshift: ENCODE zstd */,
    manufacturer varchar(64) NOT NULL /*redshift: ENCODE zstd */,
    device varchar(128) NOT NULL /*redshift: ENCODE zstd */,
    PRIMARY KEY (device_key)
)
/*redshift: DISTSTYLE ALL SORTKEY (device_key) */;
