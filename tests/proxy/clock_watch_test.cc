// ClockWatch (proxy/clock_watch.h), with readings made up by the test: the time floor, the
// kernel's word in each mode, the one-way end of relaxed validation, jumps back; and the
// [dnssec] time_file read and written.
#include "proxy/clock_watch.h"

#include <doctest/doctest.h>
#include <unistd.h>

#include <cstdlib>
#include <fstream>
#include <sstream>
#include <string>

namespace dnsp::proxy {
namespace {

using config::ClockMode;
using State = ClockChange::State;

constexpr UnixTime kFloor = 1796000000;  // 2026-11-30T00:53:20Z

// Readings one second apart on both clocks unless told otherwise.
struct Clock {
  UnixTime now = kFloor + 100;
  int64_t mono_ms = 5'000'000;
  KernelClock kernel = KernelClock::Synchronised;
  ClockReading tick(int64_t wall_step = 1, int64_t mono_step_ms = 1000) {
    now += wall_step;
    mono_ms += mono_step_ms;
    return {now, mono_ms, kernel};
  }
};

TEST_CASE("clock watch: strict mode believes any clock from the floor on, whatever the kernel") {
  ClockWatch w;
  w.configure(ClockMode::Strict, kFloor, "the build time");
  Clock c;
  c.kernel = KernelClock::Unsynchronised;  // as in containers and on CI machines
  const ClockChange first = w.observe(c.tick());
  CHECK(first.first);
  CHECK(first.state == State::Verified);
  CHECK(w.verified());
  CHECK_FALSE(w.relaxed());
  CHECK(w.doubt(c.now, c.kernel).empty());
}

TEST_CASE("clock watch: strict mode: a clock before the floor is unverified, never relaxed") {
  ClockWatch w;
  w.configure(ClockMode::Strict, kFloor, "the build time");
  Clock c;
  c.now = 1577836800;  // 2020-01-01
  const ClockChange first = w.observe(c.tick());
  CHECK(first.state == State::Unverified);
  CHECK_FALSE(w.verified());
  CHECK_FALSE(w.relaxed());
  CHECK(w.doubt(c.now, c.kernel) ==
        "it says 2020-01-01T00:00:01Z, before the build time (2026-11-30T00:53:20Z)");
  // NTP sets the clock: verified, and nothing was relaxed to end.
  c.now = kFloor + 10;
  const ClockChange set = w.observe(c.tick());
  CHECK(set.state == State::Verified);
  CHECK_FALSE(set.end_of_relaxed);
  CHECK(w.verified());
}

TEST_CASE("clock watch: until-synced relaxes until the clock is past the floor and synced") {
  ClockWatch w;
  w.configure(ClockMode::UntilSynced, kFloor, "the time in /var/lib/dnssec-proxy/time");
  Clock c;
  c.now = 1577836800;
  c.kernel = KernelClock::Unsynchronised;
  CHECK(w.observe(c.tick()).state == State::Unverified);
  CHECK(w.relaxed());
  CHECK(w.doubt(c.now, c.kernel).find("before the time in /var/lib/dnssec-proxy/time") !=
        std::string::npos);
  // Past the floor, but the kernel still says unsynchronised: still relaxed.
  c.now = kFloor + 10;
  CHECK(w.observe(c.tick()).state == State::Same);
  CHECK(w.relaxed());
  CHECK(w.doubt(c.now, c.kernel) ==
        "the kernel reports it not synchronised (adjtimex: no NTP yet)");
  // NTP has run: verified, and what was validated without windows is to be dropped.
  c.kernel = KernelClock::Synchronised;
  const ClockChange synced = w.observe(c.tick());
  CHECK(synced.state == State::Verified);
  CHECK(synced.end_of_relaxed);
  CHECK(w.verified());
  CHECK_FALSE(w.relaxed());
  // Later the kernel loses sync (or someone sets the clock back): unverified, but windows
  // stay checked: relaxing is for start-up only.
  c.kernel = KernelClock::Unsynchronised;
  CHECK(w.observe(c.tick()).state == State::Unverified);
  CHECK_FALSE(w.verified());
  CHECK_FALSE(w.relaxed());
  c.kernel = KernelClock::Synchronised;
  const ClockChange again = w.observe(c.tick());
  CHECK(again.state == State::Verified);
  CHECK_FALSE(again.end_of_relaxed);
}

TEST_CASE("clock watch: until-synced with a synchronised clock past the floor is never relaxed") {
  ClockWatch w;
  w.configure(ClockMode::UntilSynced, kFloor, "the build time");
  Clock c;
  CHECK(w.observe(c.tick()).state == State::Verified);
  CHECK_FALSE(w.relaxed());
  // A kernel that cannot be asked (Unknown) does not make the clock unverified.
  c.kernel = KernelClock::Unknown;
  CHECK(w.observe(c.tick()).state == State::Same);
  CHECK(w.verified());
}

TEST_CASE("clock watch: a jump back of more than a minute is reported, smaller ones are not") {
  ClockWatch w;
  w.configure(ClockMode::Strict, kFloor - 86400, "the build time");
  Clock c;
  CHECK(w.observe(c.tick()).jumped_back == 0);
  CHECK(w.observe(c.tick(-59, 1000)).jumped_back == 0);  // 60 s back against 1 s elapsed
  CHECK(w.observe(c.tick(-3600, 1000)).jumped_back == 3601);
  CHECK(w.observe(c.tick(3600, 1000)).jumped_back == 0);  // forward jumps flush nothing
  // A loop that slept (both clocks moved alike) is no jump.
  CHECK(w.observe(c.tick(600, 600'000)).jumped_back == 0);
  // A jump back below the floor makes the clock unverified again.
  c.now = kFloor - 2 * 86400;
  const ClockChange back = w.observe(c.tick());
  CHECK(back.jumped_back > 0);
  CHECK(back.state == State::Unverified);
}

TEST_CASE("clock watch: the clock warning is let through at most once a minute") {
  ClockWatch w;
  CHECK(w.may_warn(kFloor));
  CHECK_FALSE(w.may_warn(kFloor + 59));
  CHECK(w.may_warn(kFloor + 60));
}

struct TempFile {
  std::string dir;
  TempFile() {
    char tmpl[] = "/tmp/clock-watch-XXXXXX";
    REQUIRE(mkdtemp(tmpl) != nullptr);
    dir = tmpl;
  }
  ~TempFile() { std::system(("rm -rf " + dir).c_str()); }
  std::string path() const { return dir + "/time"; }
  void write(const std::string& text) const { std::ofstream(path()) << text; }
  std::string read() const {
    std::ifstream f(path());
    std::stringstream ss;
    ss << f.rdbuf();
    return ss.str();
  }
};

TEST_CASE("time file: written as seconds and UTC, read back as the floor when later") {
  TempFile t;
  REQUIRE(write_time_file(t.path(), kFloor + 3600).empty());
  CHECK(t.read() == "1796003600 2026-11-30T01:53:20Z\n");
  const TimeFloor later = time_floor(t.path(), kFloor);
  CHECK(later.time == kFloor + 3600);
  CHECK(later.source == "the time in " + t.path());
  CHECK(later.warning.empty());
  // A file older than the build: the build time stays the floor.
  const TimeFloor older = time_floor(t.path(), kFloor + 7200);
  CHECK(older.time == kFloor + 7200);
  CHECK(older.source == "the build time");
}

TEST_CASE("time file: missing is no error; damaged is a warning and the build time is the floor") {
  TempFile t;
  const TimeFloor missing = time_floor(t.path(), kFloor);
  CHECK(missing.time == kFloor);
  CHECK(missing.warning.empty());
  t.write("yesterday\n");
  const TimeFloor damaged = time_floor(t.path(), kFloor);
  CHECK(damaged.time == kFloor);
  CHECK(damaged.warning.find(t.path() + ": not a time file") == 0);
  t.write("12 1970-01-01T00:00:12Z\n");
  CHECK_FALSE(read_time_file(t.path()).time.has_value());
  CHECK(time_floor("", kFloor).source == "the build time");
}

TEST_CASE("build time: set at configure time, after this code was written") {
  CHECK(build_time() > 1764547200);  // 2025-12-01
}

}  // namespace
}  // namespace dnsp::proxy
