-- Recharge (SPEC §6): recharge products, pay orders and their state machine,
-- pay topics, the transactional outbox, and the sandbox provider's durable
-- delivery queue. Times are epoch milliseconds; prices and amounts are cents.

CREATE TABLE pay_product (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  name VARCHAR(64) NOT NULL,
  price INTEGER NOT NULL,
  extra TEXT NOT NULL,
  type INTEGER NOT NULL DEFAULT 0,
  valid_status INTEGER NOT NULL DEFAULT 1,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL
);
CREATE INDEX idx_pay_product_type ON pay_product (type, valid_status);

-- coin_num and biz_code are fixed when the order is created, like amount:
-- the payer gets what the page promised, whatever the catalogue does later.
CREATE TABLE pay_order (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id VARCHAR(64) NOT NULL,
  product_id INTEGER NOT NULL,
  user_id BIGINT NOT NULL,
  amount INTEGER NOT NULL,
  coin_num BIGINT NOT NULL,
  source INTEGER NOT NULL,
  channel INTEGER NOT NULL,
  status INTEGER NOT NULL,
  pay_time BIGINT NULL,
  trade_no VARCHAR(128) NULL,
  biz_code INTEGER NOT NULL,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL
);
CREATE UNIQUE INDEX uk_pay_order_order_id ON pay_order (order_id);
CREATE INDEX idx_pay_order_user ON pay_order (user_id, id);
CREATE INDEX idx_pay_order_status ON pay_order (status, id);

CREATE TABLE pay_topic (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic VARCHAR(128) NOT NULL,
  biz_code INTEGER NOT NULL,
  status INTEGER NOT NULL DEFAULT 1,
  remark VARCHAR(255) NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL
);
CREATE UNIQUE INDEX uk_pay_topic_biz_code ON pay_topic (biz_code);

-- Events written in the same transaction as the change they announce; the
-- relay (src/outbox/) moves them to the event log. event_id is unique so an
-- event can never be enqueued twice.
CREATE TABLE outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  event_id VARCHAR(128) NOT NULL,
  topic VARCHAR(128) NOT NULL,
  msg_key VARCHAR(256) NOT NULL,
  payload TEXT NOT NULL,
  create_time BIGINT NOT NULL,
  published_time BIGINT NULL
);
CREATE UNIQUE INDEX uk_outbox_event ON outbox (event_id);
CREATE INDEX idx_outbox_pending ON outbox (published_time, id);

-- Notifications the sandbox provider still has to deliver (one per order).
CREATE TABLE sandbox_delivery (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  order_id VARCHAR(64) NOT NULL,
  channel INTEGER NOT NULL,
  body TEXT NOT NULL,
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at BIGINT NOT NULL,
  last_error VARCHAR(255) NULL,
  delivered_time BIGINT NULL,
  create_time BIGINT NOT NULL
);
CREATE UNIQUE INDEX uk_sandbox_delivery_order ON sandbox_delivery (order_id);
CREATE INDEX idx_sandbox_delivery_due ON sandbox_delivery (delivered_time, next_attempt_at);
