// libFuzzer target: any text as the TOML configuration file. parse_config must return a
// Config or errors naming file and line, never throw or crash.
#include <cstddef>
#include <cstdint>
#include <string_view>

#include "config/load.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const auto result = dnsp::config::parse_config(text, "fuzz.toml");
  for (const auto& e : result.errors) {
    // Every error names the file first.
    if (e.rfind("fuzz.toml:", 0) != 0) __builtin_trap();
  }
  return 0;
}
