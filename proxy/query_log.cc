#include "proxy/query_log.h"

#include "resolver/wire/ede.h"
#include "resolver/wire/message.h"
#include "resolver/wire/types.h"

namespace dnsp::proxy {

QueryLogLimiter::Admission QueryLogLimiter::admit(uint64_t now_ms) {
  if (now_ms - window_start_ms_ >= 1000 || now_ms < window_start_ms_) {
    window_start_ms_ = now_ms;
    written_ = 0;
  }
  Admission a;
  if (written_ >= per_second_) {
    ++suppressed_;
    return a;
  }
  ++written_;
  a.write = true;
  a.suppressed = suppressed_;
  suppressed_ = 0;
  return a;
}

std::optional<std::string> query_log_line(std::span<const uint8_t> reply,
                                          const QueryLogContext& c) {
  auto msg = resolver::Message::parse(reply);
  if (!msg) return std::nullopt;
  std::string qname = "-";
  std::string qtype = "-";
  if (!msg->questions().empty()) {
    qname = msg->questions().front().name.to_string();
    qtype = resolver::to_string(msg->questions().front().type);
  }
  std::string ede = "-";
  for (const auto& option : msg->edns_options()) {
    if (option.code == resolver::kEdnsOptionEde && option.data.size() >= 2) {
      ede = std::to_string(option.data[0] << 8 | option.data[1]);
      break;
    }
  }
  return "event=query client=" + c.client + " qname=" + qname + " qtype=" + qtype +
         " rcode=" + resolver::to_string(msg->rcode()) +
         " ad=" + (msg->has_flag(resolver::flag::kAD) ? "1" : "0") +
         " cache=" + (c.cache_hit ? "hit" : "miss") + " upstream=" + c.upstream +
         " us=" + std::to_string(c.microseconds) + " ede=" + ede;
}

}  // namespace dnsp::proxy
