#include "proxy/local_data_watch.h"

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>

#include "proxy/log.h"
#include "resolver/local/hosts_file.h"

namespace dnsp::proxy {
namespace {

// A hosts file may be a block list of a few hundred thousand lines; more than this is not
// a hosts file (a wrong path) and is not read.
constexpr std::streamoff kMaxHostsFileSize = std::streamoff{64} << 20;
// Skipped hosts lines logged per read; the rest are counted.
constexpr size_t kMaxWarningsShown = 5;

// The file's contents, or why not ("" and `error` set).
std::string read_hosts(const std::string& path, std::string& error) {
  std::ifstream in(path, std::ios::binary);
  if (!in) {
    error = path + ": cannot read the hosts file: " + std::strerror(errno);
    return "";
  }
  in.seekg(0, std::ios::end);
  const std::streamoff size = in.tellg();
  if (size > kMaxHostsFileSize) {
    error = path + ": the hosts file is larger than 64 MiB; not read";
    return "";
  }
  in.seekg(0);
  std::ostringstream text;
  text << in.rdbuf();
  return text.str();
}

}  // namespace

resolver::Result<LocalBuild, std::string> build_local_data(const config::LocalSettings& settings) {
  if (settings.empty()) return LocalBuild{};
  std::vector<resolver::LocalRecordText> texts;
  for (const auto& r : settings.records) texts.push_back({r.text, r.where});
  auto data = resolver::LocalData::from_records(texts, settings.ttl);
  if (!data) return resolver::unexpected(data.error());
  LocalBuild out;
  if (!settings.hosts_file.empty()) {
    std::string error;
    const std::string text = read_hosts(settings.hosts_file, error);
    if (!error.empty()) {
      out.warnings.push_back(error + " (its names are not answered until it can be read)");
    } else {
      const auto parsed = resolver::parse_hosts(text, settings.hosts_file);
      out.warnings = parsed.skipped;
      for (auto& w : data->add_hosts(parsed.entries, settings.hosts_file, settings.ttl)) {
        out.warnings.push_back(std::move(w));
      }
    }
  }
  out.table = std::make_shared<const resolver::LocalData>(std::move(*data));
  return out;
}

void LocalDataWatch::log_warnings(const std::vector<std::string>& warnings) {
  for (size_t i = 0; i < warnings.size() && i < kMaxWarningsShown; ++i) {
    LOG_WARN("[local] " << warnings[i]);
  }
  if (warnings.size() > kMaxWarningsShown) {
    LOG_WARN("[local] and " << warnings.size() - kMaxWarningsShown << " more like these");
  }
}

std::string LocalDataWatch::configure(const config::LocalSettings& settings) {
  auto built = build_local_data(settings);
  if (!built) return built.error();
  const bool watch_changed = settings.hosts_file != settings_.hosts_file;
  settings_ = settings;
  log_warnings(built->warnings);
  if (built->table) {
    LOG_INFO("[local] answering " << built->table->size() << " local name(s)"
                                  << (settings_.hosts_file.empty()
                                          ? ""
                                          : " (with the hosts file " + settings_.hosts_file +
                                                ", re-read when it changes)"));
  }
  publish_(std::move(built->table));
  if (!watch_changed) return "";
  if (poll_open_) {
    uv_fs_poll_stop(&poll_);
  } else if (!settings_.hosts_file.empty()) {
    uv_fs_poll_init(loop_, &poll_);
    poll_.data = this;
    poll_open_ = true;
  }
  if (!settings_.hosts_file.empty()) {
    if (const int rc = uv_fs_poll_start(&poll_, &LocalDataWatch::on_change,
                                        settings_.hosts_file.c_str(), kPollIntervalMs);
        rc != 0) {
      LOG_WARN("[local] cannot watch " << settings_.hosts_file << ": " << uv_strerror(rc)
                                       << " (changes need SIGHUP)");
    }
  }
  return "";
}

void LocalDataWatch::stop() {
  if (!poll_open_) return;
  poll_open_ = false;
  uv_fs_poll_stop(&poll_);
  uv_close(reinterpret_cast<uv_handle_t*>(&poll_), nullptr);
}

void LocalDataWatch::on_change(uv_fs_poll_t* handle, int status, const uv_stat_t*,
                               const uv_stat_t*) noexcept {
  auto* self = static_cast<LocalDataWatch*>(handle->data);
  // status < 0: the file went away (or cannot be seen): answered without its names.
  self->rebuild(status < 0 ? "is gone" : "changed");
}

void LocalDataWatch::rebuild(const char* why) {
  auto built = build_local_data(settings_);
  if (!built) return;  // the records were accepted before and have not changed
  log_warnings(built->warnings);
  LOG_INFO("[local] the hosts file " << settings_.hosts_file << " " << why << ": now "
                                     << (built->table ? built->table->size() : 0)
                                     << " local name(s)");
  publish_(std::move(built->table));
}

}  // namespace dnsp::proxy
