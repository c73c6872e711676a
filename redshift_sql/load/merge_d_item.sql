-- Items: insert when new (the key is a hash of every column).
INSERT INTO analysis.d_item (item_key, item_type, item_id, cart_type)
SELECT DISTINCT s.item_key, s.item_type, s.item_id, s.cart_type
FROM staging.d_item AS s
LEFT JOIN analysis.d_item AS a ON a.item_key = s.item_key
WHERE a.item_key IS NULL;
