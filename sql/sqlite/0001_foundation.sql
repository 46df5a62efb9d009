-- Foundation: live rooms, gifts, the coin wallet and its ledger, the embedded event log.
-- Times are epoch milliseconds in BIGINT columns on both dialects.

CREATE TABLE living_room (
  room_id INTEGER PRIMARY KEY AUTOINCREMENT,
  anchor_id BIGINT NOT NULL,
  title VARCHAR(128) NOT NULL,
  type INTEGER NOT NULL DEFAULT 0,
  status INTEGER NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT NULL
);
CREATE INDEX idx_living_room_status ON living_room (status, room_id);
CREATE INDEX idx_living_room_anchor ON living_room (anchor_id, status);

CREATE TABLE gift_config (
  gift_id INTEGER PRIMARY KEY AUTOINCREMENT,
  price INTEGER NOT NULL,
  gift_name VARCHAR(64) NOT NULL,
  status INTEGER NOT NULL DEFAULT 1,
  cover_img_url VARCHAR(512) NOT NULL DEFAULT '',
  svga_url VARCHAR(512) NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL
);

CREATE TABLE gift_record (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  biz_id VARCHAR(128) NOT NULL,
  request_id VARCHAR(64) NOT NULL,
  sender_id BIGINT NOT NULL,
  receiver_id BIGINT NOT NULL,
  room_id BIGINT NOT NULL,
  gift_id INTEGER NOT NULL,
  price INTEGER NOT NULL,
  send_time BIGINT NOT NULL
);
CREATE UNIQUE INDEX uk_gift_record_biz ON gift_record (biz_id);
CREATE INDEX idx_gift_record_sender ON gift_record (sender_id, id);
CREATE INDEX idx_gift_record_receiver ON gift_record (receiver_id, id);

CREATE TABLE gift_send_failure (
  biz_id VARCHAR(128) NOT NULL PRIMARY KEY,
  request_id VARCHAR(64) NOT NULL,
  sender_id BIGINT NOT NULL,
  room_id BIGINT NOT NULL,
  gift_id INTEGER NOT NULL,
  price INTEGER NOT NULL,
  reason VARCHAR(64) NOT NULL,
  create_time BIGINT NOT NULL
);

CREATE TABLE currency_account (
  user_id BIGINT NOT NULL PRIMARY KEY,
  current_balance BIGINT NOT NULL DEFAULT 0,
  total_charged BIGINT NOT NULL DEFAULT 0,
  status INTEGER NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 0,
  credit_version BIGINT NOT NULL DEFAULT 0,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL
);

CREATE TABLE currency_trade (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  user_id BIGINT NOT NULL,
  num BIGINT NOT NULL,
  type INTEGER NOT NULL,
  status INTEGER NOT NULL DEFAULT 0,
  biz_id VARCHAR(128) NOT NULL,
  create_time BIGINT NOT NULL
);
CREATE UNIQUE INDEX uk_currency_trade_biz ON currency_trade (biz_id);
CREATE INDEX idx_currency_trade_user ON currency_trade (user_id, id);

-- Embedded event log (the cluster profile uses Kafka instead).
CREATE TABLE event_log (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  topic VARCHAR(128) NOT NULL,
  msg_key VARCHAR(256) NOT NULL,
  payload TEXT NOT NULL,
  create_time BIGINT NOT NULL
);
CREATE INDEX idx_event_log_topic ON event_log (topic, id);

CREATE TABLE event_offset (
  group_id VARCHAR(128) NOT NULL,
  topic VARCHAR(128) NOT NULL,
  last_id BIGINT NOT NULL,
  PRIMARY KEY (group_id, topic)
);
