// DohSession: the HTTP/2 side of one DNS-over-HTTPS connection (RFC 8484), sans I/O, over
// libnghttp2. TlsConnection (tls_connection.h) moves its bytes through the TLS session:
// plaintext from the server goes in (receive), plaintext to send comes out (take_output).
//
// Each query is one POST of `application/dns-message` on a stream of its own (RFC 8484
// §4.1: message ID 0, so streams, not IDs, match replies to queries), many streams at once
// on one connection, as many as the server's SETTINGS_MAX_CONCURRENT_STREAMS allows. A
// reply is the body of a 200 response with that content type; anything else (another
// status, another content type, a body larger than a DNS message, a reset stream) fails that
// query alone, in words. A broken HTTP/2 exchange (bad frames, GOAWAY) is the connection's
// failure: error() says what, and the connection closes.
//
// Fuzzed by tests/fuzz/fuzz_doh_response.cc (whatever a server may send).
#pragma once

#include <cstdint>
#include <span>
#include <string>
#include <unordered_map>
#include <utility>
#include <vector>

#include "proxy/upstream/upstream.h"

struct nghttp2_session;

namespace dnsp::proxy {

class DohSession {
 public:
  // What became of a query (by the key it was submitted with).
  struct Event {
    uint16_t key = 0;
    UpstreamStatus status = UpstreamStatus::Answered;  // Answered: `body` is the reply
    std::vector<uint8_t> body;
    std::string detail;  // otherwise: what went wrong ("HTTP status 503")
  };

  // Requests go to https://`authority``path` (RFC 8484 §4.1: the URI template's path).
  DohSession(std::string authority, std::string path);
  ~DohSession();
  DohSession(const DohSession&) = delete;
  DohSession& operator=(const DohSession&) = delete;

  // The client connection preface and our SETTINGS (no push), for take_output(). Once, when
  // the TLS session is ready (ALPN h2). False when nghttp2 could not be set up.
  bool start();
  // One POST for `packet` (its ID is 0 already) on a new stream, tagged `key`. False when
  // the session takes no more streams (full() or GOAWAY) or broke.
  bool submit(uint16_t key, std::span<const uint8_t> packet);
  // The query `key` is no longer wanted: its stream is reset (RST_STREAM CANCEL).
  void cancel(uint16_t key);
  // Plaintext the server sent. Appends what became of queries to `events`; false when the
  // HTTP/2 exchange broke (error() says how): the connection must close.
  bool receive(std::span<const uint8_t> plaintext, std::vector<Event>& events);
  // What to send to the server now (requests, acknowledgements, window updates). When what
  // the server sent broke HTTP/2, this is our GOAWAY and error() says so from then on.
  std::vector<uint8_t> take_output();
  // What became of queries while take_output() ran (a stream we reset as we wrote it).
  std::vector<Event> take_events() { return std::exchange(pending_, {}); }
  // Ends the session politely (GOAWAY) for take_output().
  void close();

  // Streams the server lets us open at once (SETTINGS_MAX_CONCURRENT_STREAMS; 100 until it
  // says, RFC 9113 §6.5.2 recommends no fewer).
  size_t max_streams() const;
  // The server sent GOAWAY: no new streams here.
  bool going_away() const { return going_away_; }
  const std::string& error() const { return error_; }
  size_t streams() const { return streams_.size(); }

  static constexpr size_t kMaxBody = 65535;  // a DNS message (RFC 8484 §6)

 private:
  struct Stream {
    uint16_t key = 0;
    std::vector<uint8_t> request;  // the body to send
    size_t sent = 0;
    int status = 0;  // :status
    std::string content_type;
    std::vector<uint8_t> body;
    std::string failure;  // set when the reply is already known to be unusable
  };
  struct Callbacks;  // nghttp2's callbacks (doh_session.cc)

  void finish(int32_t stream_id, uint32_t error_code);

  std::string authority_;
  std::string path_;
  nghttp2_session* session_ = nullptr;
  std::unordered_map<int32_t, Stream> streams_;   // by stream id
  std::unordered_map<uint16_t, int32_t> by_key_;  // key -> stream id
  std::vector<Event>* events_ = nullptr;          // during receive()
  std::vector<Event> pending_;                    // events from outside receive()
  bool going_away_ = false;
  std::string error_;
};

}  // namespace dnsp::proxy
