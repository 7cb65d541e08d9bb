// The control protocol of `dnssec-proxy control` (proxy/control/README.md), sans I/O: one
// request line in ("flush-zone example.com", "nta add x.test --for 2h"), one reply out
// ("ok\n" or "error\n", then text for a person), then the connection closes. Parsed here
// and only here: by the proxy for what arrives on the socket, and by the command line
// first, so that a usage error never reaches the proxy. Fuzzed by
// tests/fuzz/fuzz_control_line.cc.
#pragma once

#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/wire/result.h"

namespace dnsp::proxy {

// Bounds of the socket side (proxy/control/control_listener.h).
inline constexpr size_t kMaxControlLine = 1024;          // octets, newline included
inline constexpr size_t kMaxControlConnections = 8;      // at once; more are refused
inline constexpr uint64_t kControlLineTimeoutMs = 5000;  // to finish the request line

enum class ControlCommand : uint8_t {
  Flush,        // flush NAME: the cached answers for NAME (every type)
  FlushZone,    // flush-zone ZONE: answers, key entries, RFC 8198 records at or below ZONE
  FlushBogus,   // flush-bogus: every cached bogus verdict
  FlushAll,     // flush-all: every cache
  NtaAdd,       // nta add ZONE [--for DURATION]
  NtaRemove,    // nta remove ZONE
  NtaList,      // nta list
  Reload,       // reload: as SIGHUP
  Stats,        // stats [--json]: the Prometheus figures
  ForwardList,  // forward list: the [[forward]] zones in force
  Upstreams,    // upstreams: each upstream server's state and counters
  HotspotOn,    // hotspot on [--for DURATION]: validation suspended (captive portals)
  HotspotOff,   // hotspot off: validating again now
};

// Hotspot mode: how long when not said, and at most (issue 18: a bounded time).
inline constexpr int64_t kHotspotDefaultSeconds = 10 * 60;
inline constexpr int64_t kHotspotMaxSeconds = 24 * 3600;

struct ControlRequest {
  ControlCommand command = ControlCommand::FlushAll;
  std::string name;                    // normalised (lower case, final "."); "." for the root
  std::optional<int64_t> for_seconds;  // nta add --for, hotspot on --for
  bool json = false;                   // stats --json
  friend bool operator==(const ControlRequest&, const ControlRequest&) = default;
};

// One request line (without its newline; a final "\r" is allowed). Errors say what is
// wrong and what is expected: "nta add: \"a..b\" is not a domain name ...".
resolver::Result<ControlRequest, std::string> parse_control_request(std::string_view line);
// The same from words (the command line's arguments after "control").
resolver::Result<ControlRequest, std::string> parse_control_words(
    std::span<const std::string> words);
// The line that parse_control_request() reads back as `request` (no newline).
std::string format_control_request(const ControlRequest& request);

// "90", "90s", "15m", "2h", "7d": seconds, 1 s to 365 days; nullopt otherwise.
std::optional<int64_t> parse_control_duration(std::string_view text);

// The command words and their arguments, for --help and errors.
std::string control_commands_text();

struct ControlReply {
  bool ok = true;
  std::string text;  // for a person; ends with a newline when not empty
  friend bool operator==(const ControlReply&, const ControlReply&) = default;
};
std::string format_control_reply(const ControlReply& reply);
// nullopt when `bytes` is not a reply (a first line other than "ok" / "error").
std::optional<ControlReply> parse_control_reply(std::string_view bytes);

// Collects one request line from the bytes of a connection.
class ControlLineReader {
 public:
  enum class State : uint8_t { Incomplete, Line, TooLong };
  // Adds `bytes`; Line once a newline arrived (line() is the text before it), TooLong once
  // kMaxControlLine octets came without one. Bytes after the newline are ignored.
  State feed(std::span<const uint8_t> bytes);
  std::string_view line() const { return line_; }

 private:
  std::string line_;
  State state_ = State::Incomplete;
};

}  // namespace dnsp::proxy
