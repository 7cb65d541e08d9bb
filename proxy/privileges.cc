#include "proxy/privileges.h"

#include <grp.h>
#include <pwd.h>
#include <unistd.h>

#include <cerrno>
#include <charconv>
#include <cstring>
#include <vector>

namespace dnsp::proxy {
namespace {

std::optional<unsigned long> as_number(const std::string& text) {
  unsigned long value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc() || end != text.data() + text.size()) return std::nullopt;
  return value;
}

}  // namespace

AccountResult resolve_account(const std::string& user, const std::string& group) {
  AccountResult r;
  if (user.empty()) {
    if (!group.empty()) r.error = "[server] group is set without [server] user";
    return r;
  }
  std::vector<char> buf(16384);
  passwd pw{};
  passwd* found = nullptr;
  Account a{};
  const auto uid = as_number(user);
  const int pe = uid ? getpwuid_r(static_cast<uid_t>(*uid), &pw, buf.data(), buf.size(), &found)
                     : getpwnam_r(user.c_str(), &pw, buf.data(), buf.size(), &found);
  if (found != nullptr) {
    a.uid = pw.pw_uid;
    a.gid = pw.pw_gid;
    a.name = std::string(pw.pw_name) + " (uid " + std::to_string(pw.pw_uid) + ")";
  } else if (uid) {
    a.uid = static_cast<uid_t>(*uid);
    if (group.empty()) {
      r.error = "[server] user: uid " + user +
                " has no entry in the user database, so it has no primary group: set "
                "[server] group";
      return r;
    }
    a.name = "uid " + user;
  } else {
    r.error = "[server] user: no user \"" + user + "\"" +
              (pe != 0 ? std::string(" (") + std::strerror(pe) + ")" : std::string());
    return r;
  }
  if (!group.empty()) {
    struct group gr {};
    struct group* gfound = nullptr;
    const auto gid = as_number(group);
    const int ge = gid ? getgrgid_r(static_cast<gid_t>(*gid), &gr, buf.data(), buf.size(), &gfound)
                       : getgrnam_r(group.c_str(), &gr, buf.data(), buf.size(), &gfound);
    if (gfound != nullptr) {
      a.gid = gr.gr_gid;
      a.name += ", group " + std::string(gr.gr_name) + " (gid " + std::to_string(gr.gr_gid) + ")";
    } else if (gid) {
      a.gid = static_cast<gid_t>(*gid);
      a.name += ", gid " + group;
    } else {
      r.error = "[server] group: no group \"" + group + "\"" +
                (ge != 0 ? std::string(" (") + std::strerror(ge) + ")" : std::string());
      return r;
    }
  } else {
    a.name += ", gid " + std::to_string(a.gid);
  }
  r.account = std::move(a);
  return r;
}

std::string drop_privileges(const Account& account) {
  if (geteuid() == account.uid && getegid() == account.gid && getuid() == account.uid &&
      getgid() == account.gid) {
    return "";  // started as that account already (a container's USER, systemd's User=)
  }
  if (geteuid() != 0) {
    return "cannot switch to " + account.name + ": running as uid " + std::to_string(geteuid()) +
           ", and only root can change its user; start as root or as that user";
  }
  const gid_t groups[] = {account.gid};
  if (setgroups(1, groups) != 0) return "setgroups(" + account.name + "): " + std::strerror(errno);
  if (setgid(account.gid) != 0) return "setgid(" + account.name + "): " + std::strerror(errno);
  if (setuid(account.uid) != 0) return "setuid(" + account.name + "): " + std::strerror(errno);
  // setuid() from root to another uid drops the saved uid too: there is no way back.
  if (account.uid != 0 && setuid(0) == 0)
    return "could regain root after dropping to " + account.name;
  return "";
}

}  // namespace dnsp::proxy
