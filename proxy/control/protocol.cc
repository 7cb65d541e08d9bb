#include "proxy/control/protocol.h"

#include <algorithm>

#include "config/config.h"
#include "resolver/wire/zone_text.h"

namespace dnsp::proxy {
namespace {

using Parsed = resolver::Result<ControlRequest, std::string>;

Parsed fail(std::string text) { return resolver::unexpected(std::move(text)); }

// Printable ASCII only, shortened: what a message may quote back.
std::string shown(std::string_view text) {
  std::string out;
  for (char c : text.substr(0, 64)) {
    const auto byte = static_cast<unsigned char>(c);
    out += byte >= 0x20 && byte < 0x7f ? c : '?';
  }
  if (text.size() > 64) out += "...";
  return "\"" + out + "\"";
}

// A domain name as the caches and NTAs name it; the root only when `root_ok`.
std::optional<std::string> domain(std::string_view text, bool root_ok) {
  if (text == ".") return root_ok ? std::optional<std::string>(".") : std::nullopt;
  return config::normalize_domain_name(text);
}

const char* name_rule(bool root_ok) {
  return root_ok ? "a domain name (letters, digits, '-', '_'; labels of 1-63 octets) or \".\""
                 : "a domain name other than the root (letters, digits, '-', '_'; labels of "
                   "1-63 octets)";
}

}  // namespace

constexpr int64_t kMaxDurationSeconds = 365 * 86400;

std::optional<int64_t> parse_control_duration(std::string_view text) {
  // Zone-file TTL syntax (90, 90s, 15m, 1h30m, 2d), kept short and within a year.
  if (text.size() > 12) return std::nullopt;
  const std::optional<uint32_t> seconds = resolver::parse_ttl_text(text);
  if (!seconds || *seconds < 1 || *seconds > kMaxDurationSeconds) return std::nullopt;
  return int64_t{*seconds};
}

std::string control_commands_text() {
  return "  flush NAME                  forget the cached answers for NAME (every type)\n"
         "  flush-zone ZONE             forget answers, validated keys and NSEC/NSEC3 records\n"
         "                              at or below ZONE (after fixing the zone's DNSSEC)\n"
         "  flush-bogus                 forget every bogus verdict and bogus zone key cached\n"
         "  flush-all                   empty every cache\n"
         "  nta add ZONE [--for TIME]   stop validating at or below ZONE (RFC 7646) for TIME\n"
         "                              (90s, 15m, 2h, 7d; default 1h)\n"
         "  nta remove ZONE             validate ZONE again\n"
         "  nta list                    the negative trust anchors, their source and expiry\n"
         "  reload                      read the configuration again (as SIGHUP)\n"
         "  stats [--json]              the counters of /metrics, as text or JSON\n"
         "  forward list                the [[forward]] zones in force\n"
         "  upstreams                   each upstream server: state, counters, RTT, failures\n"
         "  hotspot on [--for TIME]     stop validating for TIME (default 10m, at most 1d) to\n"
         "                              log in to a captive portal; it ends by itself\n"
         "  hotspot off                 validate again now\n";
}

Parsed parse_control_words(std::span<const std::string> words) {
  if (words.empty()) return fail("no command given; the commands are:\n" + control_commands_text());
  const std::string& verb = words[0];
  std::vector<std::string> rest(words.begin() + 1, words.end());
  ControlRequest r;
  // Takes "--json" / "--for VALUE" out of `rest` where the command allows them.
  auto take_flag = [&rest](std::string_view flag) {
    auto it = std::find(rest.begin(), rest.end(), flag);
    if (it == rest.end()) return false;
    rest.erase(it);
    return true;
  };
  auto no_more = [&](std::string_view usage) -> std::optional<std::string> {
    if (rest.empty()) return std::nullopt;
    return std::string(verb) + ": unexpected " + shown(rest[0]) + " (usage: " + std::string(usage) +
           ")";
  };
  // `usage` is "COMMAND... NAME": the words before its last one name the command.
  auto one_name = [&](std::string_view usage, bool root_ok) -> std::optional<std::string> {
    const std::string command(usage.substr(0, usage.rfind(' ')));
    if (rest.empty()) return command + ": missing the name (usage: " + std::string(usage) + ")";
    const auto name = domain(rest[0], root_ok);
    if (!name) return command + ": " + shown(rest[0]) + " is not " + name_rule(root_ok);
    r.name = *name;
    rest.erase(rest.begin());
    return std::nullopt;
  };
  // Takes "--for DURATION" out of `rest` into r.for_seconds, at most `max` seconds.
  auto take_duration = [&](std::string_view command, int64_t max,
                           std::string_view max_words) -> std::optional<std::string> {
    auto it = std::find(rest.begin(), rest.end(), "--for");
    if (it == rest.end()) return std::nullopt;
    const std::string prefix = std::string(command) + ": --for ";
    if (std::next(it) == rest.end())
      return prefix + "needs a duration, e.g. --for 2h (90s, 15m, 2h, 7d)";
    const auto seconds = parse_control_duration(*std::next(it));
    if (!seconds || *seconds > max) {
      return prefix + shown(*std::next(it)) + " is not a duration from 1s to " +
             std::string(max_words) + " (e.g. 90s, 15m, 2h, 7d)";
    }
    r.for_seconds = *seconds;
    rest.erase(it, it + 2);
    return std::nullopt;
  };
  std::optional<std::string> err;
  if (verb == "flush") {
    r.command = ControlCommand::Flush;
    if (!(err = one_name("flush NAME", true))) err = no_more("flush NAME");
  } else if (verb == "flush-zone") {
    r.command = ControlCommand::FlushZone;
    if (!(err = one_name("flush-zone ZONE", true))) err = no_more("flush-zone ZONE");
  } else if (verb == "flush-bogus") {
    r.command = ControlCommand::FlushBogus;
    err = no_more("flush-bogus");
  } else if (verb == "flush-all") {
    r.command = ControlCommand::FlushAll;
    err = no_more("flush-all");
  } else if (verb == "reload") {
    r.command = ControlCommand::Reload;
    err = no_more("reload");
  } else if (verb == "stats") {
    r.command = ControlCommand::Stats;
    r.json = take_flag("--json");
    err = no_more("stats [--json]");
  } else if (verb == "upstreams") {
    r.command = ControlCommand::Upstreams;
    err = no_more("upstreams");
  } else if (verb == "forward") {
    r.command = ControlCommand::ForwardList;
    if (rest.empty() || rest[0] != "list") {
      err = "forward: expected \"forward list\"";
    } else {
      rest.erase(rest.begin());
      err = no_more("forward list");
    }
  } else if (verb == "hotspot") {
    const std::string sub = rest.empty() ? "" : rest[0];
    if (!rest.empty()) rest.erase(rest.begin());
    if (sub == "on") {
      r.command = ControlCommand::HotspotOn;
      err = take_duration("hotspot on", kHotspotMaxSeconds, "1d");
      if (!err) err = no_more("hotspot on [--for TIME]");
    } else if (sub == "off") {
      r.command = ControlCommand::HotspotOff;
      err = no_more("hotspot off");
    } else {
      err = "hotspot: expected \"hotspot on [--for TIME]\" or \"hotspot off\"";
    }
  } else if (verb == "nta") {
    const std::string sub = rest.empty() ? "" : rest[0];
    if (!rest.empty()) rest.erase(rest.begin());
    if (sub == "add") {
      r.command = ControlCommand::NtaAdd;
      err = take_duration("nta add", kMaxDurationSeconds, "365d");
      if (!err && !(err = one_name("nta add ZONE", false)))
        err = no_more("nta add ZONE [--for TIME]");
    } else if (sub == "remove") {
      r.command = ControlCommand::NtaRemove;
      if (!(err = one_name("nta remove ZONE", false))) err = no_more("nta remove ZONE");
    } else if (sub == "list") {
      r.command = ControlCommand::NtaList;
      err = no_more("nta list");
    } else {
      err = "nta: expected \"nta add ZONE [--for TIME]\", \"nta remove ZONE\" or \"nta list\"";
    }
  } else {
    err = "unknown command " + shown(verb) + "; the commands are:\n" + control_commands_text();
  }
  if (err) return fail(*err);
  return r;
}

Parsed parse_control_request(std::string_view line) {
  if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
  if (line.size() >= kMaxControlLine) return fail("request line too long");
  std::vector<std::string> words;
  size_t at = 0;
  while (at < line.size()) {
    const char c = line[at];
    if (c == ' ' || c == '\t') {
      ++at;
      continue;
    }
    const size_t end = std::min(line.find_first_of(" \t", at), line.size());
    std::string_view word = line.substr(at, end - at);
    for (char w : word) {
      const auto byte = static_cast<unsigned char>(w);
      if (byte < 0x20 || byte >= 0x7f) return fail("request line: not printable ASCII");
    }
    words.emplace_back(word);
    at = end;
  }
  return parse_control_words(words);
}

std::string format_control_request(const ControlRequest& r) {
  switch (r.command) {
    case ControlCommand::Flush:
      return "flush " + r.name;
    case ControlCommand::FlushZone:
      return "flush-zone " + r.name;
    case ControlCommand::FlushBogus:
      return "flush-bogus";
    case ControlCommand::FlushAll:
      return "flush-all";
    case ControlCommand::NtaAdd:
      return "nta add " + r.name +
             (r.for_seconds ? " --for " + std::to_string(*r.for_seconds) + "s" : "");
    case ControlCommand::NtaRemove:
      return "nta remove " + r.name;
    case ControlCommand::NtaList:
      return "nta list";
    case ControlCommand::Reload:
      return "reload";
    case ControlCommand::Stats:
      return r.json ? "stats --json" : "stats";
    case ControlCommand::ForwardList:
      return "forward list";
    case ControlCommand::Upstreams:
      return "upstreams";
    case ControlCommand::HotspotOn:
      return "hotspot on" +
             (r.for_seconds ? " --for " + std::to_string(*r.for_seconds) + "s" : std::string());
    case ControlCommand::HotspotOff:
      return "hotspot off";
  }
  return "";
}

std::string format_control_reply(const ControlReply& reply) {
  std::string out = reply.ok ? "ok\n" : "error\n";
  out += reply.text;
  if (!reply.text.empty() && reply.text.back() != '\n') out += '\n';
  return out;
}

std::optional<ControlReply> parse_control_reply(std::string_view bytes) {
  const size_t nl = bytes.find('\n');
  if (nl == std::string_view::npos) return std::nullopt;
  const std::string_view status = bytes.substr(0, nl);
  if (status != "ok" && status != "error") return std::nullopt;
  return ControlReply{status == "ok", std::string(bytes.substr(nl + 1))};
}

ControlLineReader::State ControlLineReader::feed(std::span<const uint8_t> bytes) {
  if (state_ != State::Incomplete) return state_;
  for (uint8_t b : bytes) {
    if (b == '\n') return state_ = State::Line;
    line_ += static_cast<char>(b);
    if (line_.size() >= kMaxControlLine) {
      line_.clear();
      return state_ = State::TooLong;
    }
  }
  return state_;
}

}  // namespace dnsp::proxy
