-- Live commerce (SPEC §7): categories, SKUs, stock totals, which anchor may
-- sell which SKU, and shop orders with their lines. Times are epoch
-- milliseconds; prices are integer coins.
--
-- Stock model: sku_stock holds each SKU's total; units are held by order
-- lines of PREPARE_PAY (0) and HAS_PAY (1) orders, so
--   available = total − Σ count of lines in status 0/1
-- can always be recomputed exactly. A line carries a copy of its order's
-- status, changed in the same transaction as the order's, so that sum is one
-- index range per SKU (and per user per SKU, for purchase limits).

-- Three levels; parent_id is 0 for level 1. Names are unique among siblings.
CREATE TABLE category (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  category_name VARCHAR(64) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  level TINYINT NOT NULL,
  parent_id INT NOT NULL DEFAULT 0,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  UNIQUE KEY uk_category_sibling (parent_id, category_name)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- status 1 = on sale, 0 = off; limit_per_user 0 = no limit.
CREATE TABLE sku_info (
  sku_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  sku_code VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  name VARCHAR(128) NOT NULL,
  sku_price BIGINT NOT NULL,
  icon_url VARCHAR(512) NOT NULL DEFAULT '',
  original_icon_url VARCHAR(512) NOT NULL DEFAULT '',
  remark VARCHAR(512) NOT NULL DEFAULT '',
  category_id INT NOT NULL,
  status TINYINT NOT NULL DEFAULT 1,
  limit_per_user INT NOT NULL DEFAULT 0,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  UNIQUE KEY uk_sku_info_code (sku_code),
  KEY idx_sku_info_category (category_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- The total stock of a SKU (no row = 0).
CREATE TABLE sku_stock (
  sku_id BIGINT NOT NULL PRIMARY KEY,
  stock_num BIGINT NOT NULL,
  update_time BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Which anchor may sell which SKU.
CREATE TABLE anchor_shop (
  anchor_id BIGINT NOT NULL,
  sku_id BIGINT NOT NULL,
  create_time BIGINT NOT NULL,
  PRIMARY KEY (anchor_id, sku_id),
  KEY idx_anchor_shop_sku (sku_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- status PREPARE_PAY 0 / HAS_PAY 1 / CANCEL 2, changed only by conditional
-- update; cancel_reason 'user' | 'timeout' once cancelled. request_id is the
-- client's idempotency key, unique per user (NULL when none was given).
-- expire_at is the payment deadline the sweeper scans for.
CREATE TABLE shop_order (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id BIGINT NOT NULL,
  room_id BIGINT NOT NULL,
  anchor_id BIGINT NOT NULL,
  request_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL,
  status TINYINT NOT NULL,
  cancel_reason VARCHAR(16) NULL,
  total_price BIGINT NOT NULL,
  address_name VARCHAR(64) NOT NULL,
  address_phone VARCHAR(32) NOT NULL,
  address_detail VARCHAR(512) NOT NULL,
  expire_at BIGINT NOT NULL,
  pay_time BIGINT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  UNIQUE KEY uk_shop_order_order_id (order_id),
  UNIQUE KEY uk_shop_order_request (user_id, request_id),
  KEY idx_shop_order_user (user_id, id),
  KEY idx_shop_order_expire (status, expire_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One line per SKU per order; price is the unit price captured when the
-- order was prepared; status mirrors the order's (see the header).
CREATE TABLE shop_order_item (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  user_id BIGINT NOT NULL,
  sku_id BIGINT NOT NULL,
  count INT NOT NULL,
  price BIGINT NOT NULL,
  status TINYINT NOT NULL,
  create_time BIGINT NOT NULL,
  UNIQUE KEY uk_shop_order_item_line (order_id, sku_id),
  KEY idx_shop_order_item_sku (sku_id, status, count),
  KEY idx_shop_order_item_user_sku (user_id, sku_id, status, count)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
