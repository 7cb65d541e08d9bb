// Every message the proxy sends: replies to clients (fitted to the client's UDP size with
// TC, RFC 1035 §4.2.1 / RFC 6891 §7; DNSSEC records stripped unless DO, RFC 4035 §3.2.1)
// and the query sent upstream (EDNS0 payload 1232, DO=1, CD=1, RD=1).
#pragma once

#include <cstdint>
#include <span>
#include <vector>

#include "resolver/serve/client_query.h"
#include "resolver/serve/explain_option.h"
#include "resolver/validate/proven.h"
#include "resolver/wire/ede.h"
#include "resolver/wire/message.h"

namespace dnsp::resolver {

inline constexpr uint16_t kUpstreamUdpPayload = 1232;  // DNS flag day 2020
inline constexpr uint16_t kOurUdpPayload = 1232;       // what we advertise to clients

enum class Transport : uint8_t { Udp, Tcp };

// The most octets a reply to `q` may have over `transport`.
size_t reply_limit(const ClientQuery& q, Transport transport);

// Whether a reply repeats the client's question: Yes whenever the query had one that could
// be read (a FORMERR for a packet without a usable question has none).
enum class EchoQuestion : uint8_t { No, Yes };

// A reply with `rcode` and no records (the question echoed as `echo` says), with an OPT if
// the client sent one (RFC 6891 §7) carrying `ede` if given.
std::vector<uint8_t> error_reply(const ClientQuery& q, EchoQuestion echo, RCode rcode,
                                 const ExtendedError* ede);

// What an answer says about its security, as far as the reply is concerned.
enum class AdBit : uint8_t { Clear, Set };

// The upstream's answer re-addressed to the client, for answers that are not secure (AD is
// then Clear) and for refitting a reply we built before: the client's ID, question (with its
// case) and RD/CD bits, the upstream's rcode and records, AD as given. Answer records off the
// question's CNAME/DNAME chain are dropped. When it does not
// fit in `limit` octets, the answer and authority sections are dropped and TC is set; the
// additional section is dropped first without TC (RFC 2181 §9).
std::vector<uint8_t> forward_reply(const ClientQuery& q, const Message& upstream, AdBit ad,
                                   size_t limit, const ExtendedError* ede);
// A secure answer: as forward_reply(), but holding only the records `proven` vouches for
// (the validation's Finished::proven), each TTL capped at its max_ttl (proven.h).
std::vector<uint8_t> secure_reply(const ClientQuery& q, const Message& upstream,
                                  std::span<const ProvenRrset> proven, AdBit ad, size_t limit,
                                  const ExtendedError* ede);

// One record of a reply built from records held rather than from an upstream message
// (RFC 8198 synthesis): class IN, uncompressed RDATA. `owner` outlives the call.
struct ReplyRecord {
  Section section;
  const Name* owner;
  RRType type;
  uint32_t ttl;
  std::span<const uint8_t> rdata;
};

// What forward_reply() makes of an upstream answer with `rcode` holding exactly `records`
// (in that order, all on the question's chain, no additional section), without building and
// parsing that answer first.
std::vector<uint8_t> records_reply(const ClientQuery& q, RCode rcode, AdBit ad, size_t limit,
                                   std::span<const ReplyRecord> records);

// An answer from the proxy's own data ([local], resolver/local/): NOERROR with `records`
// (none: NODATA), AA set because the proxy is the authority for it (RFC 1035 §4.1.1), AD
// clear because nothing vouches for it beyond the configuration (RFC 4035 §3.2.3), RA as
// always, and the client's ID, question, RD and CD. Fitted to `limit` as records_reply().
std::vector<uint8_t> local_reply(const ClientQuery& q, size_t limit,
                                 std::span<const ReplyRecord> records);

// The query we send upstream for `question` (the ID is chosen by the caller or c-ares).
// `checking_disabled` false only for the upstream probe's "does it drop CD?" query.
std::vector<uint8_t> upstream_query(const Question& question, uint16_t id,
                                    bool checking_disabled = true);

// `dnssec-proxy explain --server`: the query asking a running proxy for the trace of
// `question` (RD, EDNS0 with DO=1 and the explain option, explain_option.h), sent over TCP.
std::vector<uint8_t> explain_query(const Question& question, uint16_t id, ExplainFormat format);
// The proxy's reply to it: NOERROR, the question echoed, and `reply` in the explain option,
// fitted to one TCP message (65535 octets) as explain_reply_payload() does.
std::vector<uint8_t> explain_reply(const ClientQuery& q, const ExplainReply& reply);

}  // namespace dnsp::resolver
