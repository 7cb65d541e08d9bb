// BogusLog: the questions that validated bogus lately, shared by every event loop (Knot
// Resolver's bogus_log frequent() idea): per name and type the zone at fault, the last EDE
// (RFC 8914) and how often within the last hour. Bounded: kMaxEntries, the least recently
// seen forgotten first, so a flood of random bogus names holds a fixed amount of memory.
#pragma once

#include <cstdint>
#include <mutex>
#include <string>
#include <unordered_map>
#include <vector>

#include "resolver/wire/ede.h"
#include "resolver/wire/message.h"

namespace dnsp::proxy {

struct BogusEntry {
  std::string name;  // presentation form: "www.example."
  std::string type;  // "A"
  std::string zone;  // the zone the verdict blames
  uint16_t ede_code = 0;
  std::string ede_text;
  uint64_t count = 0;      // within the window
  int64_t first_seen = 0;  // unix seconds, within the window
  int64_t last_seen = 0;
};

class BogusLog {
 public:
  static constexpr size_t kMaxEntries = 512;
  static constexpr int64_t kWindowSeconds = 3600;

  // A bogus verdict for `question`, blamed on `zone`, answered with `ede`, at `now`.
  void record(const resolver::Question& question, const resolver::Name& zone,
              const resolver::ExtendedError& ede, int64_t now);
  // The `n` most frequent of the last hour, most frequent (then most recent) first.
  std::vector<BogusEntry> frequent(int64_t now, size_t n) const;

 private:
  mutable std::mutex mutex_;
  std::unordered_map<std::string, BogusEntry> entries_;  // key: name + " " + type
};

}  // namespace dnsp::proxy
