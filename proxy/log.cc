#include "proxy/log.h"

#include <atomic>
#include <cstdio>
#include <ctime>
#include <string>

#include "proxy/clock.h"

namespace dnsp::proxy {
namespace {
// Read by every event loop, written on start-up and SIGHUP.
std::atomic<LogLevel> g_level{LogLevel::Info};
}  // namespace

void set_log_level(LogLevel level) { g_level.store(level, std::memory_order_relaxed); }
LogLevel log_level() { return g_level.load(std::memory_order_relaxed); }

void log_line(LogLevel level, std::string_view message) {
  const std::time_t now = static_cast<std::time_t>(wall_clock_now());
  std::tm tm{};
  gmtime_r(&now, &tm);
  char stamp[32];
  std::strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%SZ", &tm);
  std::string line;
  line.reserve(message.size() + 40);
  line += stamp;
  line += ' ';
  line += config::to_string(level);
  line += ": ";
  line += message;
  line += '\n';
  std::fwrite(line.data(), 1, line.size(), stderr);
}

}  // namespace dnsp::proxy
