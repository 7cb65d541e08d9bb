// The private signed hierarchy of tests/fixtures/hierarchy.sh (Knot serving signed zones,
// Unbound as the non-validating upstream and as the validating reference), built and started
// once per test run for every test file that needs it, stopped at exit. Needs root.
#pragma once

#include <unistd.h>

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "harness.h"

namespace dnsp::test {

// Builds and starts the hierarchy once for the whole test run; stops it at exit.
class Hierarchy {
 public:
  static Hierarchy& get() {
    static Hierarchy h;
    return h;
  }
  bool ok() const { return ok_; }
  const std::string& why() const { return why_; }
  const std::string& dir() const { return dir_.path(); }
  uint16_t upstream_port() const { return upstream_port_; }
  uint16_t reference_port() const { return reference_port_; }
  std::string anchor() const { return dir() + "/root-anchor.ds"; }

  ~Hierarchy() {
    if (started_) run_command(script_ + " stop " + dir());
  }

 private:
  Hierarchy() {
    if (geteuid() != 0) {
      why_ = "the signed hierarchy needs root (Knot binds 127.x.3.y:53)";
      return;
    }
    if (run_command("command -v knotd && command -v unbound && command -v dnssec-signzone")
            .exit_code != 0) {
      why_ = "knot, unbound or bind9-utils is not installed (see .ci/packages.txt)";
      return;
    }
    script_ = std::string(DNSSEC_PROXY_SOURCE_DIR) + "/tests/fixtures/hierarchy.sh";
    upstream_port_ = free_port();
    reference_port_ = free_port();
    // A loopback /24 of its own per test process (127.64.3 .. 127.191.3), so that two test
    // runs on one machine (a build and a sanitizer build, say) do not collide; another
    // one is tried when the first is taken.
    for (int attempt = 0; attempt < 3; ++attempt) {
      const int second = 64 + static_cast<int>((getpid() + attempt * 37) % 128);
      net_ = "127." + std::to_string(second) + ".3";
      const std::string env = "HIERARCHY_NET=" + net_ +
                              " UPSTREAM_PORT=" + std::to_string(upstream_port_) +
                              " REFERENCE_PORT=" + std::to_string(reference_port_) + " ";
      auto build = run_command(env + script_ + " build " + dir());
      if (build.exit_code != 0) {
        why_ = "hierarchy.sh build failed:\n" + build.out;
        return;
      }
      auto start = run_command(env + script_ + " start " + dir());
      started_ = true;
      if (start.exit_code == 0) break;
      why_ = "hierarchy.sh start failed:\n" + start.out;
      run_command(script_ + " stop " + dir());
      started_ = false;
      if (start.out.find("already in use") == std::string::npos) return;
    }
    if (!started_) return;
    ok_ = true;
  }

  TempDir dir_;
  std::string script_;
  std::string net_;  // HIERARCHY_NET: the first three octets of the zones' addresses
  uint16_t upstream_port_ = 0;
  uint16_t reference_port_ = 0;
  bool started_ = false;
  bool ok_ = false;
  std::string why_;
};

// The proxy validating through the hierarchy's upstream with its private root anchor, at
// debug level (tests count its "query N:" lines); `extra` arguments are appended.
inline std::unique_ptr<ProxyProcess> start_proxy(const std::vector<std::string>& extra = {}) {
  auto& h = Hierarchy::get();
  std::vector<std::string> args{"--upstream",     "127.0.0.1:" + std::to_string(h.upstream_port()),
                                "--trust-anchor", h.anchor(),
                                "--log-level",    "debug"};
  args.insert(args.end(), extra.begin(), extra.end());
  return std::make_unique<ProxyProcess>(args);
}

}  // namespace dnsp::test

#define REQUIRE_HIERARCHY()                                             \
  do {                                                                  \
    if (!Hierarchy::get().ok()) {                                       \
      FAIL("signed hierarchy unavailable: " << Hierarchy::get().why()); \
    }                                                                   \
  } while (0)
