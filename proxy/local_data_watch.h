// [local]: the LocalData table (resolver/local/local_data.h) built from the configuration's
// records and the hosts file, and the hosts file watched (uv_fs_poll: a stat once a second)
// so that a change is answered without SIGHUP. Every new table goes to `publish`, which
// hands it to each event loop (Server::set_local_data, on the loop's own thread).
#pragma once

#include <uv.h>

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/config.h"
#include "resolver/local/local_data.h"
#include "resolver/wire/result.h"

namespace dnsp::proxy {

using LocalTable = std::shared_ptr<const resolver::LocalData>;

// What one build gives: the table (nullptr when [local] is empty) and what the log should
// say (hosts lines skipped, a hosts file missing or unreadable).
struct LocalBuild {
  LocalTable table;
  std::vector<std::string> warnings;
};
// Parses [local] records (an error names the entry, the record and what is wrong: the
// configuration is refused) and reads the hosts file (problems there are warnings: the file
// is the system's, and may be fixed while the proxy runs).
resolver::Result<LocalBuild, std::string> build_local_data(const config::LocalSettings& settings);

class LocalDataWatch {
 public:
  static constexpr unsigned kPollIntervalMs = 1000;
  LocalDataWatch(uv_loop_t* loop, std::function<void(LocalTable)> publish)
      : loop_(loop), publish_(std::move(publish)) {}
  LocalDataWatch(const LocalDataWatch&) = delete;
  LocalDataWatch& operator=(const LocalDataWatch&) = delete;

  // Builds the table from `settings` and publishes it, and watches settings.hosts_file
  // (stops watching when there is none). "" or the error of build_local_data(): then
  // nothing changed (a reload keeps the previous table).
  std::string configure(const config::LocalSettings& settings);
  // Stops watching (closes the poll handle; the object must outlive the loop's run).
  void stop();

 private:
  static void on_change(uv_fs_poll_t* handle, int status, const uv_stat_t* prev,
                        const uv_stat_t* curr) noexcept;
  void rebuild(const char* why);
  static void log_warnings(const std::vector<std::string>& warnings);

  uv_loop_t* loop_;
  std::function<void(LocalTable)> publish_;
  config::LocalSettings settings_;
  uv_fs_poll_t poll_{};
  bool poll_open_ = false;
};

}  // namespace dnsp::proxy
