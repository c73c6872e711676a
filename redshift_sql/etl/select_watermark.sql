-- One row: the high-water mark of the succeeded loads (null before the first load). The next
-- incremental run starts at high_water_mark - lookback.
SELECT high_water_mark FROM etl.watermark;
