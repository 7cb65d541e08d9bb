#include "proxy/upstream/doh_session.h"

#include <nghttp2/nghttp2.h>

#include <algorithm>
#include <cctype>
#include <iterator>

#include "proxy/upstream/tls_connection.h"

namespace dnsp::proxy {
namespace {

constexpr std::string_view kDnsMessage = "application/dns-message";  // RFC 8484 §6

nghttp2_nv header(std::string_view name, std::string_view value) {
  // nghttp2 takes non-const pointers but does not write through them (NO_COPY flags off).
  return {reinterpret_cast<uint8_t*>(const_cast<char*>(name.data())),
          reinterpret_cast<uint8_t*>(const_cast<char*>(value.data())), name.size(), value.size(),
          NGHTTP2_NV_FLAG_NONE};
}

// "Application/DNS-Message; charset=x" -> "application/dns-message".
std::string media_type(std::string_view value) {
  value = value.substr(0, value.find(';'));
  while (!value.empty() && value.back() == ' ') value.remove_suffix(1);
  std::string out(value);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

struct DohSession::Callbacks {
  static DohSession& self(void* user_data) { return *static_cast<DohSession*>(user_data); }

  static int on_header(nghttp2_session* /*session*/, const nghttp2_frame* frame,
                       const uint8_t* name, size_t namelen, const uint8_t* value, size_t valuelen,
                       uint8_t /*flags*/, void* user_data) {
    if (frame->hd.type != NGHTTP2_HEADERS) return 0;
    auto it = self(user_data).streams_.find(frame->hd.stream_id);
    if (it == self(user_data).streams_.end()) return 0;
    const std::string_view n(reinterpret_cast<const char*>(name), namelen);
    const std::string_view v(reinterpret_cast<const char*>(value), valuelen);
    if (n == ":status") {
      int status = 0;
      for (char c : v)
        status = (c >= '0' && c <= '9' && status < 1000) ? status * 10 + (c - '0') : 1000;
      it->second.status = status;
    } else if (n == "content-type") {
      it->second.content_type = media_type(v);
    }
    return 0;
  }

  static int on_data(nghttp2_session* session, uint8_t /*flags*/, int32_t stream_id,
                     const uint8_t* data, size_t len, void* user_data) {
    auto it = self(user_data).streams_.find(stream_id);
    if (it == self(user_data).streams_.end()) return 0;
    Stream& s = it->second;
    if (!s.failure.empty()) return 0;
    if (s.body.size() + len > kMaxBody) {
      s.failure = "the reply body is larger than a DNS message (65535 octets)";
      s.body.clear();
      nghttp2_submit_rst_stream(session, NGHTTP2_FLAG_NONE, stream_id, NGHTTP2_CANCEL);
      return 0;
    }
    s.body.insert(s.body.end(), data, data + len);
    return 0;
  }

  static int on_stream_close(nghttp2_session* /*session*/, int32_t stream_id, uint32_t error_code,
                             void* user_data) {
    self(user_data).finish(stream_id, error_code);
    return 0;
  }

  static int on_frame(nghttp2_session* /*session*/, const nghttp2_frame* frame, void* user_data) {
    if (frame->hd.type == NGHTTP2_GOAWAY) self(user_data).going_away_ = true;
    return 0;
  }

  static ssize_t read_body(nghttp2_session* /*session*/, int32_t stream_id, uint8_t* buf,
                           size_t length, uint32_t* data_flags, nghttp2_data_source* /*source*/,
                           void* user_data) {
    auto it = self(user_data).streams_.find(stream_id);
    if (it == self(user_data).streams_.end()) {
      *data_flags |= NGHTTP2_DATA_FLAG_EOF;
      return 0;
    }
    Stream& s = it->second;
    const size_t n = std::min(length, s.request.size() - s.sent);
    std::copy_n(s.request.begin() + static_cast<std::ptrdiff_t>(s.sent), n, buf);
    s.sent += n;
    if (s.sent == s.request.size()) *data_flags |= NGHTTP2_DATA_FLAG_EOF;
    return static_cast<ssize_t>(n);
  }
};

DohSession::DohSession(std::string authority, std::string path)
    : authority_(std::move(authority)), path_(std::move(path)) {}

DohSession::~DohSession() {
  if (session_ != nullptr) nghttp2_session_del(session_);
}

bool DohSession::start() {
  if (session_ != nullptr) return true;
  nghttp2_session_callbacks* callbacks = nullptr;
  if (nghttp2_session_callbacks_new(&callbacks) != 0) {
    error_ = "cannot set up HTTP/2 (out of memory)";
    return false;
  }
  nghttp2_session_callbacks_set_on_header_callback(callbacks, &Callbacks::on_header);
  nghttp2_session_callbacks_set_on_data_chunk_recv_callback(callbacks, &Callbacks::on_data);
  nghttp2_session_callbacks_set_on_stream_close_callback(callbacks, &Callbacks::on_stream_close);
  nghttp2_session_callbacks_set_on_frame_recv_callback(callbacks, &Callbacks::on_frame);
  const int rc = nghttp2_session_client_new(&session_, callbacks, this);
  nghttp2_session_callbacks_del(callbacks);
  if (rc != 0) {
    session_ = nullptr;
    error_ = std::string("cannot set up HTTP/2: ") + nghttp2_strerror(rc);
    return false;
  }
  // No server push (RFC 8484 §5.2 allows it; we would only refuse it); replies are small.
  const nghttp2_settings_entry settings[] = {{NGHTTP2_SETTINGS_ENABLE_PUSH, 0},
                                             {NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS, 0}};
  if (nghttp2_submit_settings(session_, NGHTTP2_FLAG_NONE, settings, 2) != 0) {
    error_ = "cannot set up HTTP/2 settings";
    return false;
  }
  return true;
}

size_t DohSession::max_streams() const {
  if (session_ == nullptr) return 0;
  const uint32_t remote =
      nghttp2_session_get_remote_settings(session_, NGHTTP2_SETTINGS_MAX_CONCURRENT_STREAMS);
  return std::min<size_t>(remote, TlsConnection::kMaxInFlight);
}

bool DohSession::submit(uint16_t key, std::span<const uint8_t> packet) {
  if (session_ == nullptr || going_away_ || !error_.empty()) return false;
  const std::string length = std::to_string(packet.size());
  // RFC 8484 §4.1: POST, the message as the body; §5.1 the media type both ways.
  const nghttp2_nv headers[] = {
      header(":method", "POST"),           header(":scheme", "https"),
      header(":authority", authority_),    header(":path", path_),
      header("content-type", kDnsMessage), header("accept", kDnsMessage),
      header("content-length", length),
  };
  nghttp2_data_provider body{};
  body.read_callback = &Callbacks::read_body;
  const int32_t id = nghttp2_submit_request(session_, nullptr, headers,
                                            sizeof headers / sizeof headers[0], &body, nullptr);
  if (id < 0) return false;  // e.g. NGHTTP2_ERR_STREAM_ID_NOT_AVAILABLE: stream ids used up
  Stream& s = streams_[id];
  s.key = key;
  s.request.assign(packet.begin(), packet.end());
  by_key_[key] = id;
  return true;
}

void DohSession::cancel(uint16_t key) {
  auto it = by_key_.find(key);
  if (it == by_key_.end()) return;
  const int32_t id = it->second;
  by_key_.erase(it);
  streams_.erase(id);  // its close reports nothing
  if (session_ != nullptr) {
    nghttp2_submit_rst_stream(session_, NGHTTP2_FLAG_NONE, id, NGHTTP2_CANCEL);
  }
}

void DohSession::finish(int32_t stream_id, uint32_t error_code) {
  auto it = streams_.find(stream_id);
  if (it == streams_.end()) return;
  Stream s = std::move(it->second);
  streams_.erase(it);
  by_key_.erase(s.key);
  Event e;
  e.key = s.key;
  if (!s.failure.empty()) {
    e.status = UpstreamStatus::BadReply;
    e.detail = s.failure;
  } else if (error_code != NGHTTP2_NO_ERROR) {
    e.status = UpstreamStatus::Unreachable;
    e.detail = error_code == NGHTTP2_REFUSED_STREAM
                   ? "the server refused the HTTP/2 stream"
                   : std::string("HTTP/2 stream reset: ") + nghttp2_http2_strerror(error_code);
  } else if (s.status != 200) {
    e.status = UpstreamStatus::ServerFailed;
    e.detail = s.status == 0 ? "HTTP response without a status"
                             : "HTTP status " + std::to_string(s.status);
  } else if (s.content_type != kDnsMessage) {
    e.status = UpstreamStatus::BadReply;
    e.detail = "HTTP reply of type " +
               (s.content_type.empty() ? std::string("(none)") : s.content_type) + ", not " +
               std::string(kDnsMessage);
  } else {
    e.body = std::move(s.body);
  }
  (events_ != nullptr ? *events_ : pending_).push_back(std::move(e));
}

bool DohSession::receive(std::span<const uint8_t> plaintext, std::vector<Event>& events) {
  if (session_ == nullptr || !error_.empty()) return false;
  events_ = &events;
  const ssize_t rc = nghttp2_session_mem_recv(session_, plaintext.data(), plaintext.size());
  events_ = nullptr;
  if (rc < 0) {
    error_ = std::string("HTTP/2 error: ") + nghttp2_strerror(static_cast<int>(rc));
    return false;
  }
  return true;
}

std::vector<uint8_t> DohSession::take_output() {
  std::vector<uint8_t> out;
  if (session_ == nullptr) return out;
  for (;;) {
    const uint8_t* data = nullptr;
    const ssize_t n = nghttp2_session_mem_send(session_, &data);
    if (n < 0) {
      if (error_.empty()) error_ = std::string("HTTP/2 error: ") + nghttp2_strerror(int(n));
      break;
    }
    if (n == 0) break;
    out.insert(out.end(), data, data + n);
  }
  if (error_.empty() && !going_away_ && nghttp2_session_want_read(session_) == 0 &&
      nghttp2_session_want_write(session_) == 0) {
    // nghttp2 met a connection error in what the server sent: it wrote a GOAWAY (in `out`)
    // and reads nothing more.
    error_ = "HTTP/2 protocol error (what the server sent is not valid HTTP/2)";
  }
  return out;
}

void DohSession::close() {
  if (session_ != nullptr) nghttp2_session_terminate_session(session_, NGHTTP2_NO_ERROR);
}

}  // namespace dnsp::proxy
