#include "resolver/serve/explain_option.h"

#include <algorithm>
#include <string_view>

namespace dnsp::resolver {
namespace {

constexpr size_t kReplyHeaderSize = 3;  // VERSION, EXIT CODE, STATUS
constexpr std::string_view kTruncatedMarker =
    "\n[... the trace is longer than one DNS message: cut here. Run dnssec-proxy explain "
    "with this proxy's configuration for all of it.]\n";
constexpr std::string_view kColorReset = "\033[0m";

}  // namespace

ExplainRequest parse_explain_request(std::span<const uint8_t> data) {
  ExplainRequest r;
  if (data.size() != 2 || data[0] != kExplainVersion || data[1] > kLastExplainFormat) {
    r.well_formed = false;
    return r;
  }
  r.format = static_cast<ExplainFormat>(data[1]);
  return r;
}

bool explain_format_is_text(ExplainFormat format) {
  return format == ExplainFormat::Text || format == ExplainFormat::TextColor;
}

std::vector<uint8_t> explain_request_payload(ExplainFormat format) {
  return {kExplainVersion, static_cast<uint8_t>(format)};
}

std::optional<ExplainReply> find_explain_reply(const Message& reply) {
  for (const auto& opt : reply.edns_options()) {
    if (opt.code != kEdnsOptionExplain) continue;
    if (opt.data.size() < kReplyHeaderSize || opt.data[0] != kExplainVersion || opt.data[1] > 3 ||
        opt.data[2] > 2) {
      return std::nullopt;
    }
    ExplainReply r;
    r.exit_code = opt.data[1];
    r.status = static_cast<ExplainStatus>(opt.data[2]);
    r.report.assign(opt.data.begin() + kReplyHeaderSize, opt.data.end());
    return r;
  }
  return std::nullopt;
}

std::vector<uint8_t> explain_reply_payload(const ExplainReply& reply, ExplainFormat format,
                                           size_t max_size) {
  std::vector<uint8_t> out{kExplainVersion, reply.exit_code, static_cast<uint8_t>(reply.status)};
  const size_t room = max_size > kReplyHeaderSize ? max_size - kReplyHeaderSize : 0;
  if (reply.report.size() <= room) {
    out.insert(out.end(), reply.report.begin(), reply.report.end());
    return out;
  }
  if (!explain_format_is_text(format) || room < kTruncatedMarker.size()) {
    out[2] = static_cast<uint8_t>(ExplainStatus::TooLarge);
    return out;
  }
  out[2] = static_cast<uint8_t>(ExplainStatus::Truncated);
  size_t cut = room - kTruncatedMarker.size();
  // Not inside a UTF-8 sequence: back up over continuation octets (10xxxxxx).
  while (cut > 0 && (static_cast<uint8_t>(reply.report[cut]) & 0xC0) == 0x80) --cut;
  if (format == ExplainFormat::TextColor) {
    // Not inside an ANSI colour sequence ("\033[31m") either, and the colour reset after.
    const size_t esc = reply.report.rfind('\033', cut == 0 ? 0 : cut - 1);
    if (esc != std::string::npos && reply.report.find('m', esc) >= cut) cut = esc;
    if (cut >= kColorReset.size()) cut -= kColorReset.size();
    while (cut > 0 && (static_cast<uint8_t>(reply.report[cut]) & 0xC0) == 0x80) --cut;
  }
  out.insert(out.end(), reply.report.begin(), reply.report.begin() + static_cast<long>(cut));
  if (format == ExplainFormat::TextColor) {
    out.insert(out.end(), kColorReset.begin(), kColorReset.end());
  }
  out.insert(out.end(), kTruncatedMarker.begin(), kTruncatedMarker.end());
  return out;
}

}  // namespace dnsp::resolver
