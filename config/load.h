// config/load.h: builds the Config the proxy runs with: built-in defaults, then the TOML
// file (format in config/config.h), then the command-line overrides. Nothing here throws;
// every problem becomes one line in LoadResult::errors.
#pragma once

#include <string>
#include <string_view>
#include <vector>

#include "config/command_line.h"
#include "config/config.h"

namespace dnsp::config {

// errors, in file order, each one line:
//   FILE:LINE: KEY: expected WHAT, got VALUE     (a value or key the file may not have)
//   FILE:LINE:COL: syntax error: DESCRIPTION    (not TOML; toml++ stops at the first)
//   FILE: cannot read: STRERROR                  (missing or unreadable file)
// When not ok(), `config` holds the defaults plus whatever was valid: report, don't run.
// warnings: settings accepted but deprecated, "FILE:LINE: KEY: MESSAGE", for the log.
struct LoadResult {
  Config config;
  std::vector<std::string> errors;
  std::vector<std::string> warnings;
  bool ok() const { return errors.empty(); }
};

// With cl.config_file, reads that file (which must exist). Without it, reads `default_path`
// if it exists (an existing but unreadable file is an error) and otherwise starts from the
// built-in defaults. Then applies cl's --listen, --upstream, --trust-anchor and --log-level.
// config.source is the path of the file read, or kBuiltInDefaults.
LoadResult load(const CommandLine& cl, std::string_view default_path = kDefaultConfigPath);

// Reads one TOML file over the built-in defaults; a missing file is an error.
LoadResult load_file(const std::string& path);

// Parses TOML text over the built-in defaults; `source_name` stands for the file name in
// errors and becomes config.source. Also the entry point for the config fuzz target.
LoadResult parse_config(std::string_view toml_text, std::string_view source_name);

}  // namespace dnsp::config
