#include "proxy/clock_watch.h"

#include <sys/timex.h>
#include <time.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "proxy/state_file.h"
#include "resolver/verify/verdict.h"  // format_utc

#ifndef DNSSEC_PROXY_BUILD_TIME
#error "DNSSEC_PROXY_BUILD_TIME is set by proxy/CMakeLists.txt"
#endif

namespace dnsp::proxy {

KernelClock kernel_clock() {
  timex tx{};  // modes 0: read only, no privilege needed
  const int state = adjtimex(&tx);
  if (state < 0) return KernelClock::Unknown;
  if (state == TIME_ERROR || (tx.status & STA_UNSYNC) != 0) return KernelClock::Unsynchronised;
  return KernelClock::Synchronised;
}

UnixTime build_time() { return static_cast<UnixTime>(DNSSEC_PROXY_BUILD_TIME); }

ClockReading read_clock() {
  ClockReading r;
  r.now = wall_clock_now();
  timespec ts{};
  clock_gettime(CLOCK_MONOTONIC, &ts);
  r.monotonic_ms = static_cast<int64_t>(ts.tv_sec) * 1000 + ts.tv_nsec / 1000000;
  r.kernel = kernel_clock();
  return r;
}

void ClockWatch::configure(config::ClockMode mode, UnixTime floor, std::string floor_source) {
  mode_ = mode;
  floor_ = floor;
  floor_source_ = std::move(floor_source);
  last_.reset();
  ever_verified_ = false;
  verified_.store(true, std::memory_order_relaxed);
  relaxed_.store(false, std::memory_order_relaxed);
}

bool ClockWatch::believes(UnixTime now, KernelClock kernel) const {
  if (now < floor_) return false;
  // The kernel's word counts only in until-synced mode, where it decides whether windows are
  // checked: strict mode must not change because a container reports STA_UNSYNC.
  return mode_ == config::ClockMode::Strict || kernel != KernelClock::Unsynchronised;
}

std::string ClockWatch::doubt(UnixTime now, KernelClock kernel) const {
  if (now < floor_) {
    return "it says " + resolver::format_utc(now) + ", before " + floor_source_ + " (" +
           resolver::format_utc(floor_) + ")";
  }
  if (mode_ == config::ClockMode::UntilSynced && kernel == KernelClock::Unsynchronised) {
    return "the kernel reports it not synchronised (adjtimex: no NTP yet)";
  }
  return "";
}

ClockChange ClockWatch::observe(const ClockReading& r) {
  ClockChange change;
  change.first = !last_.has_value();
  if (last_) {
    // Compare wall and monotonic time elapsed since the last reading.
    const int64_t wall = r.now - last_->now;
    const int64_t mono = (r.monotonic_ms - last_->monotonic_ms) / 1000;
    if (mono - wall > kJumpSeconds) change.jumped_back = mono - wall;
  }
  last_ = r;
  const bool now_verified = believes(r.now, r.kernel);
  const bool was_verified = verified_.load(std::memory_order_relaxed);
  if (change.first || now_verified != was_verified) {
    change.state = now_verified ? ClockChange::State::Verified : ClockChange::State::Unverified;
  }
  if (now_verified && !ever_verified_) {
    change.end_of_relaxed = relaxed_.load(std::memory_order_relaxed);
    ever_verified_ = true;
  }
  verified_.store(now_verified, std::memory_order_relaxed);
  relaxed_.store(mode_ == config::ClockMode::UntilSynced && !ever_verified_,
                 std::memory_order_relaxed);
  return change;
}

bool ClockWatch::may_warn(UnixTime now) {
  int64_t last = last_warning_.load(std::memory_order_relaxed);
  if (last != 0 && now >= last && now - last < 60) return false;
  return last_warning_.compare_exchange_strong(last, now, std::memory_order_relaxed);
}

TimeFileRead read_time_file(const std::string& path) {
  TimeFileRead out;
  std::ifstream f(path);
  if (!f) {
    if (errno != ENOENT) out.error = path + ": " + std::strerror(errno);
    return out;
  }
  std::string line;
  std::getline(f, line);
  std::istringstream in(line);
  int64_t seconds = 0;
  // From 2000 on: a smaller number is no time this file was ever written with.
  if (!(in >> seconds) || seconds < 946684800) {
    out.error = path + ": not a time file (expected \"UNIX_SECONDS ISO-8601\" on its first line)";
    return out;
  }
  out.time = seconds;
  return out;
}

std::string write_time_file(const std::string& path, UnixTime now) {
  return write_state_file(path, std::to_string(now) + " " + resolver::format_utc(now) + "\n");
}

TimeFloor time_floor(const std::string& time_file, UnixTime built) {
  TimeFloor f{built, "the build time", ""};
  if (time_file.empty()) return f;
  const TimeFileRead read = read_time_file(time_file);
  if (!read.error.empty()) f.warning = read.error + "; ignored, the time floor is the build time";
  if (read.time && *read.time > built) {
    f.time = *read.time;
    f.source = "the time in " + time_file;
  }
  return f;
}

}  // namespace dnsp::proxy
