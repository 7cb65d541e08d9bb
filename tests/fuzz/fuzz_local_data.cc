// libFuzzer target: local data's two text formats (resolver/local/). The first line of the
// input is taken as [local] records entries (split at '|'), the rest as a hosts file. Record
// errors must name their entry; every answer built from what was accepted must be a message
// that parses, with AA set and AD clear; never a crash.
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "resolver/local/hosts_file.h"
#include "resolver/local/local_data.h"
#include "resolver/wire/message.h"

using namespace dnsp::resolver;

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  const size_t newline = text.find('\n');
  const std::string_view first = text.substr(0, newline);
  const std::string_view hosts = newline == std::string_view::npos ? "" : text.substr(newline + 1);
  std::vector<LocalRecordText> records;
  for (size_t start = 0; start <= first.size();) {
    size_t bar = first.find('|', start);
    if (bar == std::string_view::npos) bar = first.size();
    if (bar > start) {
      records.push_back({std::string(first.substr(start, bar - start)),
                         "fuzz:" + std::to_string(records.size())});
    }
    start = bar + 1;
  }
  auto built = LocalData::from_records(records, 60);
  if (!built) {
    if (built.error().rfind("fuzz:", 0) != 0) __builtin_trap();  // names its entry
    return 0;
  }
  const HostsParse parsed = parse_hosts(hosts, "hosts");
  for (const auto& s : parsed.skipped) {
    if (s.rfind("hosts:", 0) != 0) __builtin_trap();
  }
  (void)built->add_hosts(parsed.entries, "hosts", 0);
  // Ask every local name a few types, over a small UDP limit and over TCP.
  size_t asked = 0;
  for (const auto& [name, node] : built->nodes()) {
    if (++asked > 32) break;
    for (RRType type : {RRType::A, RRType::AAAA, RRType::PTR, RRType::TXT, RRType::ANY}) {
      ClientQuery q;
      q.id = 7;
      q.flags = flag::kRD;
      q.question = {name, type, RRClass::IN};
      for (size_t limit : {size_t{512}, size_t{65535}}) {
        auto reply = built->reply(q, limit);
        if (!reply) __builtin_trap();  // a local name always has an answer
        auto m = Message::parse(*reply);
        if (!m || !m->has_flag(flag::kAA) || m->has_flag(flag::kAD)) __builtin_trap();
        if (reply->size() > limit) __builtin_trap();
      }
    }
  }
  return 0;
}
