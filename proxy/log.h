// Logging: one line per event on stderr, "TIMESTAMP LEVEL: message". The DNSP_LOG macro
// formats nothing unless the level is enabled (the hot path pays one comparison).
#pragma once

#include <sstream>
#include <string_view>

#include "config/config.h"

namespace dnsp::proxy {

using config::LogLevel;

void set_log_level(LogLevel level);
LogLevel log_level();
inline bool log_enabled(LogLevel level) { return level <= log_level(); }
void log_line(LogLevel level, std::string_view message);

}  // namespace dnsp::proxy

#define DNSP_LOG(level, stream_expr)                      \
  do {                                                    \
    if (::dnsp::proxy::log_enabled(level)) {              \
      std::ostringstream dnsp_log_os_;                    \
      dnsp_log_os_ << stream_expr;                        \
      ::dnsp::proxy::log_line(level, dnsp_log_os_.str()); \
    }                                                     \
  } while (0)
#define LOG_ERROR(x) DNSP_LOG(::dnsp::proxy::LogLevel::Error, x)
#define LOG_WARN(x) DNSP_LOG(::dnsp::proxy::LogLevel::Warn, x)
#define LOG_INFO(x) DNSP_LOG(::dnsp::proxy::LogLevel::Info, x)
#define LOG_DEBUG(x) DNSP_LOG(::dnsp::proxy::LogLevel::Debug, x)
