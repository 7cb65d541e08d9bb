// Checking what a client sent before anything is resolved: RFC 1035 §4.1.1 (opcode,
// counts), RFC 6891 §6.1.1/§6.1.3 (one OPT, version 0), RFC 7766/9619 (one question).
// The outcome is a query to resolve, an error to reply with, or a packet to drop.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <variant>
#include <vector>

#include "resolver/serve/explain_option.h"
#include "resolver/wire/message.h"
#include "resolver/wire/types.h"

namespace dnsp::resolver {

// What the proxy keeps of a client's query to build its reply.
struct ClientQuery {
  uint16_t id = 0;
  uint16_t flags = 0;  // the client's second header word (RD, CD, AD...)
  Question question;
  bool has_edns = false;
  uint16_t udp_payload = 512;  // RFC 6891 §6.2.3: values below 512 are treated as 512
  bool dnssec_ok = false;
  // The explain option (explain_option.h): a request for the trace, not for the answer.
  std::optional<ExplainRequest> explain{};

  bool checking_disabled() const { return (flags & flag::kCD) != 0; }
  bool recursion_desired() const { return (flags & flag::kRD) != 0; }
  bool wants_ad() const { return dnssec_ok || (flags & flag::kAD) != 0; }  // RFC 6840 §5.7
};

struct DropQuery {};  // not a query we can answer at all (too short, a response)
struct RejectQuery {  // answer with this rcode and nothing else
  ClientQuery query;  // id, flags, EDNS and (when it parsed) the question to echo
  bool has_question = false;
  RCode rcode = RCode::FormErr;
};
using QueryCheck = std::variant<DropQuery, RejectQuery, ClientQuery>;

QueryCheck check_query(std::span<const uint8_t> packet);

}  // namespace dnsp::resolver
