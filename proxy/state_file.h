// write_state_file: replaces a small state file the proxy keeps across restarts (the RFC
// 5011 trust anchor state, proxy/anchor_updater.h) by writing PATH.new and renaming it over
// PATH, so that a crash leaves either the old file or the new one, never half of one.
#pragma once

#include <string>
#include <string_view>

namespace dnsp::proxy {

// Writes `text` to `path` through `path`.new (created afresh: a stale one is removed, a
// symlink there never followed), fsyncs it, renames it over `path` and fsyncs the
// directory. `path` keeps its mode; a new file is 0644 less the umask. "" or what went
// wrong, naming the file; PATH.new does not remain after a failure.
std::string write_state_file(const std::string& path, std::string_view text);

}  // namespace dnsp::proxy
