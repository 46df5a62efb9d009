-- Recharge (SPEC §6): recharge products, pay orders and their state machine,
-- pay topics, the transactional outbox, and the sandbox provider's durable
-- delivery queue. Times are epoch milliseconds; prices and amounts are cents.

CREATE TABLE pay_product (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  name VARCHAR(64) NOT NULL,
  price INT NOT NULL,
  extra TEXT NOT NULL,
  type INT NOT NULL DEFAULT 0,
  valid_status TINYINT NOT NULL DEFAULT 1,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  KEY idx_pay_product_type (type, valid_status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- coin_num and biz_code are fixed when the order is created, like amount:
-- the payer gets what the page promised, whatever the catalogue does later.
CREATE TABLE pay_order (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  product_id INT NOT NULL,
  user_id BIGINT NOT NULL,
  amount INT NOT NULL,
  coin_num BIGINT NOT NULL,
  source TINYINT NOT NULL,
  channel TINYINT NOT NULL,
  status TINYINT NOT NULL,
  pay_time BIGINT NULL,
  trade_no VARCHAR(128) NULL,
  biz_code INT NOT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  UNIQUE KEY uk_pay_order_order_id (order_id),
  KEY idx_pay_order_user (user_id, id),
  KEY idx_pay_order_status (status, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE pay_topic (
  id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  topic VARCHAR(128) NOT NULL,
  biz_code INT NOT NULL,
  status TINYINT NOT NULL DEFAULT 1,
  remark VARCHAR(255) NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL,
  UNIQUE KEY uk_pay_topic_biz_code (biz_code)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Events written in the same transaction as the change they announce; the
-- relay (src/outbox/) moves them to Kafka. event_id is unique so an event can
-- never be enqueued twice.
CREATE TABLE outbox (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  event_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  topic VARCHAR(128) NOT NULL,
  msg_key VARCHAR(256) NOT NULL,
  payload TEXT NOT NULL,
  create_time BIGINT NOT NULL,
  published_time BIGINT NULL,
  UNIQUE KEY uk_outbox_event (event_id),
  KEY idx_outbox_pending (published_time, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- Notifications the sandbox provider still has to deliver (one per order).
CREATE TABLE sandbox_delivery (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  order_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  channel TINYINT NOT NULL,
  body TEXT NOT NULL,
  attempts INT NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error VARCHAR(255) NULL,
  delivered_time BIGINT NULL,
  create_time BIGINT NOT NULL,
  UNIQUE KEY uk_sandbox_delivery_order (order_id),
  KEY idx_sandbox_delivery_due (delivered_time, next_attempt_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
