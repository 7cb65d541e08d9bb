// The explain EDNS option: `dnssec-proxy explain --server` asks a running proxy for the
// trace of one question, and the proxy returns the rendered report in the same option.
// An option of the local/experimental range (RFC 6891 §9: 65001-65534), so a server that
// does not know it ignores it (RFC 6891 §6.1.2) and the client can tell.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "resolver/wire/message.h"

namespace dnsp::resolver {

inline constexpr uint16_t kEdnsOptionExplain = 65390;
inline constexpr uint8_t kExplainVersion = 1;

// How the client wants the report: the rendering of resolver/explain/explain.h it would print.
// Dot, Svg and Html are the chain of trust as a picture (resolver/explain/render.h).
enum class ExplainFormat : uint8_t {
  Text = 0,
  TextColor = 1,
  Json = 2,
  Dot = 3,
  Svg = 4,
  Html = 5
};
inline constexpr uint8_t kLastExplainFormat = 5;
// Whether a cut report is still usable: only text is (a cut JSON, DOT, SVG or HTML document
// would not parse).
bool explain_format_is_text(ExplainFormat format);

// What a query's explain option asks for. Request payload: VERSION (1 octet, 1), FORMAT
// (1 octet, ExplainFormat). Anything else is not well formed (answered with FORMERR).
struct ExplainRequest {
  ExplainFormat format = ExplainFormat::Text;
  bool well_formed = true;
};
ExplainRequest parse_explain_request(std::span<const uint8_t> data);
std::vector<uint8_t> explain_request_payload(ExplainFormat format);

// Whether the report in a reply is whole.
enum class ExplainStatus : uint8_t {
  Complete = 0,
  Truncated = 1,  // text cut to fit one 65535-octet message, a marker line at the end
  TooLarge = 2,   // JSON, DOT, SVG or HTML that does not fit one message (a cut document
                  // would not parse): empty
};

// Reply payload: VERSION (1 octet, 1), EXIT CODE (1 octet: 0 secure, 1 insecure, 2 bogus,
// 3 could not resolve, as the explain command), STATUS (1 octet), then the report (UTF-8).
struct ExplainReply {
  uint8_t exit_code = 3;
  ExplainStatus status = ExplainStatus::Complete;
  std::string report;
};
// The explain option of a reply, or nullopt when it has none (a server that ignored the
// request) or it is malformed.
std::optional<ExplainReply> find_explain_reply(const Message& reply);

// The payload for `reply`, at most `max_size` octets: a text report that is longer is cut
// at a UTF-8 character boundary and ends in a marker line (Truncated); a longer report in any
// other format is left out (TooLarge). One DNS message over TCP holds at most 65535 octets
// (RFC 1035 §4.2.2): a picture of an ordinary chain is a few tens of kilobytes and fits; a
// larger one is for `dnssec-proxy explain` run locally or the /explain page of [metrics]
// listen, which have no such limit.
std::vector<uint8_t> explain_reply_payload(const ExplainReply& reply, ExplainFormat format,
                                           size_t max_size);

}  // namespace dnsp::resolver
