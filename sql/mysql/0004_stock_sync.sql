-- The stock sync (src/shop/workers.ts) writes the hot store's available
-- units back here every OVATION_STOCK_SYNC_SEC, so the database shows how a
-- sale stands even while orders are being taken (reservations not yet in an
-- order row included). NULL until the first sync of the SKU. The truth stays
-- stock_num − units of PREPARE_PAY/HAS_PAY lines; this is a report.
ALTER TABLE sku_stock ADD COLUMN synced_available BIGINT NULL;
ALTER TABLE sku_stock ADD COLUMN synced_time BIGINT NULL;
