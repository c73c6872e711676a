-- Device models: insert when new (the key is a hash of every column).
INSERT INTO analysis.d_device (device_key, platform, os_version, manufacturer, device)
SELECT DISTINCT s.device_key, s.platform, s.os_version, s.manufacturer, s.device
FROM staging.d_device AS s
LEFT JOIN analysis.d_device AS a ON a.device_key = s.device_key
WHERE a.device_key IS NULL;
