// Whether the proxy believes the wall clock (issue 18): a device without a real-time clock
// boots in 1970 or at its image's date, and NTP needs DNS before it can set the clock.
// ClockWatch holds the time floor (the build time, or [dnssec] time_file when later), the
// kernel's word (adjtimex(2)), the [dnssec] clock mode, and notices backwards jumps; the
// time file itself is read and written here. Readings are injected, so the rules are
// unit-tested without touching the machine's clock (tests/proxy/clock_watch_test.cc).
#pragma once

#include <atomic>
#include <cstdint>
#include <optional>
#include <string>

#include "config/config.h"
#include "proxy/clock.h"

namespace dnsp::proxy {

// What the kernel says about the wall clock: adjtimex(2) read only (modes 0). Unsynchronised
// when it returns TIME_ERROR or sets STA_UNSYNC: no NTP daemon has disciplined the clock
// (yet). Containers often see the host's state, and many CI machines report unsynchronised.
enum class KernelClock : uint8_t { Synchronised, Unsynchronised, Unknown };
KernelClock kernel_clock();

// When this binary was configured for building (CMake; SOURCE_DATE_EPOCH when set, for
// reproducible builds). No signature made after the release can be checked with a clock
// that says earlier, so the proxy never believes such a clock.
UnixTime build_time();

// One look at the clocks: the wall clock, a monotonic clock (to see the wall clock jump)
// and the kernel's word.
struct ClockReading {
  UnixTime now = 0;
  int64_t monotonic_ms = 0;
  KernelClock kernel = KernelClock::Unknown;
};
ClockReading read_clock();

// What one reading changed, for the caller to log and act on.
struct ClockChange {
  enum class State : uint8_t {
    Same,        // verified or unverified as before
    Verified,    // the clock became verified (the first reading, or after being unverified)
    Unverified,  // the clock became unverified (the first reading, or after a jump back)
  };
  State state = State::Same;
  bool first = false;  // the first reading
  // Verified after a time without window checks (until-synced): what was validated without
  // them must be dropped now.
  bool end_of_relaxed = false;
  // The wall clock went back this many seconds more than the monotonic clock says elapsed
  // (0: no jump back of more than kJumpSeconds). Key entries expire by the wall clock, so
  // after a jump back they would live that much longer: the caches are flushed.
  int64_t jumped_back = 0;
};

class ClockWatch {
 public:
  static constexpr int64_t kJumpSeconds = 60;  // Knot Resolver's detect_time_jump: one minute

  ClockWatch() = default;
  // Before the event loops start. `floor`: the time before which the clock is unverified;
  // `floor_source` names it ("the build time", "time_file /var/lib/...").
  void configure(config::ClockMode mode, UnixTime floor, std::string floor_source);

  // A new reading (event loop 0, once a second and at start). Unverified when the clock is
  // before the floor; in until-synced mode also when the kernel says unsynchronised. In
  // strict mode the kernel's word is only logged (many containers and CI machines report
  // unsynchronised clocks that are right; strict behaves as before).
  ClockChange observe(const ClockReading& r);

  // Any thread.
  bool verified() const { return verified_.load(std::memory_order_relaxed); }
  // RRSIG validity windows are not checked now: until-synced mode, and the clock has never
  // been verified since start. Once verified, windows are checked for good, whatever the
  // clock does later: relaxing is for start-up only, never something a later clock problem
  // (or someone who can set the clock back) can bring back.
  bool relaxed() const { return relaxed_.load(std::memory_order_relaxed); }
  config::ClockMode mode() const { return mode_; }
  UnixTime floor() const { return floor_; }
  const std::string& floor_source() const { return floor_source_; }
  // Why the clock is unverified at `now` with `kernel`, in words ("" when it is verified).
  std::string doubt(UnixTime now, KernelClock kernel) const;
  // True at most once a minute: the caller may log that the clock looks wrong.
  bool may_warn(UnixTime now);

 private:
  bool believes(UnixTime now, KernelClock kernel) const;

  config::ClockMode mode_ = config::ClockMode::Strict;
  UnixTime floor_ = 0;
  std::string floor_source_ = "the build time";
  std::optional<ClockReading> last_;
  bool ever_verified_ = false;
  std::atomic<bool> verified_{true};
  std::atomic<bool> relaxed_{false};
  std::atomic<int64_t> last_warning_{0};
};

// [dnssec] time_file: one line, "UNIX_SECONDS ISO-8601-UTC", e.g.
// "1796464800 2026-12-05T09:20:00Z" (only the number is read). What reading found.
struct TimeFileRead {
  std::optional<UnixTime> time;  // nullopt: no file, or a damaged one (error says so)
  std::string error;             // "" when the file was read or does not exist
};
TimeFileRead read_time_file(const std::string& path);
// Replaces the file (write_state_file: PATH.new, fsync, rename); "" or what went wrong.
std::string write_time_file(const std::string& path, UnixTime now);

// The floor for a proxy with `time_file` ("" for none): the later of the build time and the
// time in the file. `source` names it; `warning` is set for a damaged file (ignored).
struct TimeFloor {
  UnixTime time = 0;
  std::string source;
  std::string warning;
};
TimeFloor time_floor(const std::string& time_file, UnixTime built);

}  // namespace dnsp::proxy
