// Privileges: the account named by [server] user and group, resolved at start-up, and the
// drop to it once the listeners are bound (port 53 needs root or CAP_NET_BIND_SERVICE;
// nothing after binding does). setgroups, then setgid, then setuid: the order that leaves
// no way back.
#pragma once

#include <sys/types.h>

#include <optional>
#include <string>

namespace dnsp::proxy {

struct Account {
  uid_t uid;
  gid_t gid;
  std::string name;  // "nobody (uid 65534), group nogroup (gid 65534)", for logs
};

struct AccountResult {
  std::optional<Account> account;  // nullopt with error "" when no user is configured
  std::string error;
};

// `user` and `group` are names or numeric ids ("" group: the user's primary group). A name
// that does not exist is an error naming the key: "[server] user: no user \"dnsproxy\"".
AccountResult resolve_account(const std::string& user, const std::string& group);

// Switches the process to `account` for good: supplementary groups, gid, uid. "" or what
// failed. Running as `account` already is fine; anything else needs root.
std::string drop_privileges(const Account& account);

}  // namespace dnsp::proxy
