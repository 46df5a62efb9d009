-- Foundation: live rooms, gifts, the coin wallet and its ledger.
-- Times are epoch milliseconds in BIGINT columns on both dialects.
-- Business and request ids compare byte for byte (ascii_bin), as they do in
-- SQLite and Redis: "abc" and "ABC" are two requests, never one.

CREATE TABLE living_room (
  room_id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  anchor_id BIGINT NOT NULL,
  title VARCHAR(128) NOT NULL,
  type INT NOT NULL DEFAULT 0,
  status TINYINT NOT NULL,
  start_time BIGINT NOT NULL,
  end_time BIGINT NULL,
  KEY idx_living_room_status (status, room_id),
  KEY idx_living_room_anchor (anchor_id, status)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE gift_config (
  gift_id INT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  price INT NOT NULL,
  gift_name VARCHAR(64) NOT NULL,
  status TINYINT NOT NULL DEFAULT 1,
  cover_img_url VARCHAR(512) NOT NULL DEFAULT '',
  svga_url VARCHAR(512) NOT NULL DEFAULT '',
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE gift_record (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  biz_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  request_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  sender_id BIGINT NOT NULL,
  receiver_id BIGINT NOT NULL,
  room_id BIGINT NOT NULL,
  gift_id INT NOT NULL,
  price INT NOT NULL,
  send_time BIGINT NOT NULL,
  UNIQUE KEY uk_gift_record_biz (biz_id),
  KEY idx_gift_record_sender (sender_id, id),
  KEY idx_gift_record_receiver (receiver_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE gift_send_failure (
  biz_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  request_id VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  sender_id BIGINT NOT NULL,
  room_id BIGINT NOT NULL,
  gift_id INT NOT NULL,
  price INT NOT NULL,
  reason VARCHAR(64) NOT NULL,
  create_time BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE currency_account (
  user_id BIGINT NOT NULL PRIMARY KEY,
  current_balance BIGINT NOT NULL DEFAULT 0,
  total_charged BIGINT NOT NULL DEFAULT 0,
  status TINYINT NOT NULL DEFAULT 0,
  version BIGINT NOT NULL DEFAULT 0,
  credit_version BIGINT NOT NULL DEFAULT 0,
  create_time BIGINT NOT NULL,
  update_time BIGINT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE currency_trade (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  user_id BIGINT NOT NULL,
  num BIGINT NOT NULL,
  type TINYINT NOT NULL,
  status TINYINT NOT NULL DEFAULT 0,
  biz_id VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  create_time BIGINT NOT NULL,
  UNIQUE KEY uk_currency_trade_biz (biz_id),
  KEY idx_currency_trade_user (user_id, id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;
