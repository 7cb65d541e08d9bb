// What a query sent over an encrypted, long-lived upstream connection carries besides the
// question: EDNS(0) Padding (RFC 7830) to the block length RFC 8467 §4.1 recommends for
// queries (128 octets), and an empty edns-tcp-keepalive option (RFC 7828 §3.2.1) so the server
// may say how long it keeps an idle connection; and reading that timeout from a reply.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <span>
#include <vector>

namespace dnsp::resolver {

inline constexpr size_t kQueryPaddingBlock = 128;        // RFC 8467 §4.1
inline constexpr uint16_t kEdnsOptionTcpKeepalive = 11;  // RFC 7828
inline constexpr uint16_t kEdnsOptionPadding = 12;       // RFC 7830

enum class Keepalive : uint8_t { Omit, Ask };

// Appends to the OPT record of `query` an empty edns-tcp-keepalive option (Keepalive::Ask)
// and a Padding option of zeros that makes the whole message a multiple of `block` octets.
// The OPT must be the query's last record, as upstream_query() writes it. False, and
// `query` unchanged, when it does not parse, has no OPT at its end, or already pads.
bool pad_query(std::vector<uint8_t>& query, size_t block, Keepalive keepalive);

// RFC 7828 §3.1: the TIMEOUT of an edns-tcp-keepalive option in `reply`, in units of 100
// milliseconds; nullopt when the reply does not parse or carries none (or one without a
// TIMEOUT, which a server must not send).
std::optional<uint16_t> tcp_keepalive_timeout(std::span<const uint8_t> reply);

}  // namespace dnsp::resolver
