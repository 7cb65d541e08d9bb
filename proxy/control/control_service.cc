#include "proxy/control/control_service.h"

#include <algorithm>
#include <cstdio>
#include <sstream>

#include "proxy/log.h"
#include "resolver/verify/verdict.h"  // format_utc
#include "resolver/wire/name.h"

namespace dnsp::proxy {
namespace {

ControlReply ok(std::string text) { return {true, std::move(text) + "\n"}; }
ControlReply failed(std::string text) { return {false, std::move(text) + "\n"}; }

std::string plural(size_t n, const char* one, const char* many) {
  return std::to_string(n) + " " + (n == 1 ? one : many);
}

std::string json_string(std::string_view text) {
  std::string out = "\"";
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (byte < 0x20) {
      char buf[8];
      std::snprintf(buf, sizeof buf, "\\u%04x", byte);
      out += buf;
    } else {
      out += c;
    }
  }
  return out + "\"";
}

// "1h 59m 58s": how long an NTA has left ("now" once it is up). Once a larger unit is
// shown, every smaller one is too ("1d 0h 0m 5s").
std::string left(int64_t until, int64_t now) {
  const int64_t s = until - now;
  if (s <= 0) return "now";
  const int64_t days = s / 86400;
  const int64_t hours = s / 3600 % 24;
  const int64_t minutes = s / 60 % 60;
  std::string out;
  if (days > 0) out += std::to_string(days) + "d ";
  if (!out.empty() || hours > 0) out += std::to_string(hours) + "h ";
  if (!out.empty() || minutes > 0) out += std::to_string(minutes) + "m ";
  return out + std::to_string(s % 60) + "s";
}

}  // namespace

std::string upstream_state(const UpstreamRow& row) {
  if (row.queries == 0 && row.answered == 0 && row.failed == 0) return "unused";
  if (row.last_failure > 0 && row.last_failure >= row.last_answer) return "failing";
  return "up";
}

std::string prometheus_to_json(std::string_view text) {
  std::string out = "{";
  bool first = true;
  size_t at = 0;
  while (at < text.size()) {
    size_t end = text.find('\n', at);
    if (end == std::string_view::npos) end = text.size();
    const std::string_view line = text.substr(at, end - at);
    at = end + 1;
    if (line.empty() || line.front() == '#') continue;
    const size_t space = line.rfind(' ');
    if (space == std::string_view::npos) continue;
    std::string_view value = line.substr(space + 1);
    // JSON has no NaN or infinities: those become null.
    const bool number =
        !value.empty() && value.find_first_not_of("0123456789.-+eE") == std::string_view::npos;
    out += first ? "\n  " : ",\n  ";
    first = false;
    out += json_string(line.substr(0, space)) + ": " + (number ? std::string(value) : "null");
  }
  return out + "\n}\n";
}

std::string ControlService::handle(std::string_view line) {
  const auto request = parse_control_request(line);
  if (!request) return format_control_reply(failed(request.error()));
  LOG_INFO("control: " << format_control_request(*request));
  return format_control_reply(run(*request));
}

ControlReply ControlService::run(const ControlRequest& r) {
  switch (r.command) {
    case ControlCommand::Flush:
    case ControlCommand::FlushZone:
    case ControlCommand::FlushBogus:
    case ControlCommand::FlushAll:
      return flush(r);
    case ControlCommand::NtaAdd:
    case ControlCommand::NtaRemove:
    case ControlCommand::NtaList:
      return nta(r);
    case ControlCommand::Reload: {
      std::vector<std::string> said;
      if (auto err = w_.reload(said); !err.empty()) {
        std::string text = "reload failed, still running with the previous configuration: " + err;
        for (const auto& s : said) text += "\n  " + s;
        return failed(text);
      }
      std::string text = "reloaded the configuration";
      for (const auto& s : said) text += "\n  warning: " + s;
      return ok(text);
    }
    case ControlCommand::Stats:
      return stats(r.json);
    case ControlCommand::ForwardList:
      return forward_list();
    case ControlCommand::Upstreams:
      return upstreams();
    case ControlCommand::HotspotOn:
      return ok(
          w_.hotspot(static_cast<uint64_t>(r.for_seconds.value_or(kHotspotDefaultSeconds)) * 1000));
    case ControlCommand::HotspotOff:
      return ok(w_.hotspot(0));
  }
  return failed("unknown command");
}

ControlReply ControlService::flush(const ControlRequest& r) {
  Shared& s = *w_.shared;
  if (r.command == ControlCommand::FlushAll) {
    const size_t answers = s.answers.entries();
    const size_t keys = s.keys.size() + s.relaxed_keys.size();
    const size_t nsec = s.aggressive.entries();
    s.flush_caches();
    return ok("flushed " + plural(answers, "answer", "answers") + ", " +
              plural(keys, "key", "keys") + ", " + plural(nsec, "NSEC record", "NSEC records") +
              " (every cache)");
  }
  if (r.command == ControlCommand::FlushBogus) {
    // The verdicts, and the zones' keys found bogus (RFC 9520 keeps them briefly): a zone
    // fixed at its registrar validates at once.
    const size_t answers = s.answers.clear_bogus();
    const size_t keys = s.keys.clear_bogus() + s.relaxed_keys.clear_bogus();
    return ok("flushed " + plural(answers, "bogus verdict", "bogus verdicts") + " and " +
              plural(keys, "bogus key entry", "bogus key entries"));
  }
  const auto name = resolver::Name::from_text(r.name);
  if (!name) return failed(r.name + " is not a domain name");
  if (r.command == ControlCommand::Flush) {
    const size_t answers = s.answers.clear_name(*name);
    return ok("flushed " + plural(answers, "answer", "answers") + " for " + r.name);
  }
  const size_t answers = s.answers.clear_below(*name);
  const size_t keys = s.keys.clear_below(*name) + s.relaxed_keys.clear_below(*name);
  const size_t nsec = s.aggressive.clear_below(*name);
  return ok("flushed " + plural(answers, "answer", "answers") + ", " + plural(keys, "key", "keys") +
            ", " + plural(nsec, "NSEC record", "NSEC records") + " at or below " + r.name);
}

ControlReply ControlService::nta(const ControlRequest& r) {
  NegativeAnchors& ntas = *w_.ntas;
  const int64_t now = w_.now();
  if (r.command == ControlCommand::NtaList) {
    if (ntas.entries().empty()) return ok("no negative trust anchors");
    std::string text;
    for (const auto& e : ntas.entries()) {
      char line[512];
      std::snprintf(line, sizeof line, "%-40s %-8s %s", e.zone.c_str(), to_string(e.source),
                    e.until ? ("until " + resolver::format_utc(*e.until) + " (in " +
                               left(*e.until, now) + ")")
                                  .c_str()
                            : "no expiry");
      text += (text.empty() ? "" : "\n") + std::string(line);
    }
    return ok(text);
  }
  if (r.command == ControlCommand::NtaRemove) {
    const auto it = std::find_if(ntas.entries().begin(), ntas.entries().end(),
                                 [&](const NtaEntry& e) { return e.zone == r.name; });
    if (it == ntas.entries().end()) {
      return failed("no negative trust anchor for " + r.name +
                    " (see dnssec-proxy control nta list)");
    }
    const bool configured = it->source == NtaSource::Config;
    ntas.remove(r.name);
    w_.apply_ntas();
    LOG_INFO("control: negative trust anchor " << r.name << " removed: validated again");
    return ok("removed the negative trust anchor " + r.name + ": it is validated again" +
              (configured ? " (it is in [dnssec] negative_trust_anchors: a reload or restart "
                            "brings it back unless you remove it there)"
                          : ""));
  }
  // RFC 7646 §2: temporary; 1 h unless --for says otherwise.
  const int64_t until = now + r.for_seconds.value_or(kDefaultAddedNtaSeconds);
  const bool replaced = ntas.add(r.name, until);
  w_.apply_ntas();
  LOG_WARN("control: negative trust anchor " << r.name << " added until "
                                             << resolver::format_utc(until)
                                             << ": answers at or below it are not validated");
  return ok(std::string(replaced ? "replaced" : "added") + " the negative trust anchor " + r.name +
            " until " + resolver::format_utc(until) + " (in " + left(until, now) +
            "): answers at or below it are not validated");
}

ControlReply ControlService::stats(bool json) {
  const std::string text = w_.prometheus();
  if (json) return {true, prometheus_to_json(text)};
  return {true, text};
}

ControlReply ControlService::forward_list() {
  const auto forwards = w_.forwards();
  if (forwards.empty()) return ok("no [[forward]] zones: every name goes to [upstream]");
  std::string text;
  for (const auto& f : forwards) {
    std::string servers;
    for (const auto& s : f.servers) servers += (servers.empty() ? "" : ",") + config::to_string(s);
    char line[1024];
    std::snprintf(line, sizeof line, "%-32s %-9s %s", f.zone.c_str(),
                  f.dnssec == config::ForwardDnssec::Insecure ? "insecure" : "validate",
                  servers.c_str());
    text += (text.empty() ? "" : "\n") + std::string(line);
  }
  return ok(text);
}

ControlReply ControlService::upstreams() {
  const auto rows = w_.upstreams();
  std::ostringstream out;
  char line[512];
  std::snprintf(line, sizeof line, "%-34s %-9s %-8s %-13s %8s %8s %8s %8s %8s %8s %8s", "upstream",
                "transport", "state", "dnssec", "queries", "answered", "timeouts", "unreach",
                "servfail", "bad", "srtt_ms");
  out << line;
  for (const auto& r : rows) {
    std::snprintf(
        line, sizeof line, "\n%-34s %-9s %-8s %-13s %8llu %8llu %8llu %8llu %8llu %8llu %8.1f",
        r.name.c_str(), r.transport.c_str(), upstream_state(r).c_str(),
        r.dnssec.empty() ? "unknown" : r.dnssec.c_str(), static_cast<unsigned long long>(r.queries),
        static_cast<unsigned long long>(r.answered), static_cast<unsigned long long>(r.timeouts),
        static_cast<unsigned long long>(r.unreachable),
        static_cast<unsigned long long>(r.server_failed),
        static_cast<unsigned long long>(r.bad_replies), static_cast<double>(r.srtt_us) / 1000.0);
    out << line;
    if (!r.dnssec_evidence.empty()) out << "\n  dnssec probe: " << r.dnssec_evidence;
    if (!r.last_failure_text.empty()) {
      out << "\n  last failure " << resolver::format_utc(r.last_failure) << ": "
          << r.last_failure_text;
    }
  }
  return ok(out.str());
}

}  // namespace dnsp::proxy
