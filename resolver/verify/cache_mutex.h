// CacheMutex: the lock of a cache every event loop shares (proxy/workers.h). Its critical
// sections are short (a hash lookup and the copy of one stored reply), so a thread that
// finds it taken spins a little before it sleeps (glibc's adaptive mutex): two loops
// answering the same popular names from cache then cost no futex system calls, where
// std::mutex put the second to sleep and woke it again.
#pragma once

#include <pthread.h>

namespace dnsp::resolver {

class CacheMutex {
 public:
  CacheMutex() {
    pthread_mutexattr_t attr;
    pthread_mutexattr_init(&attr);
    pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ADAPTIVE_NP);
    pthread_mutex_init(&mu_, &attr);
    pthread_mutexattr_destroy(&attr);
  }
  ~CacheMutex() { pthread_mutex_destroy(&mu_); }
  CacheMutex(const CacheMutex&) = delete;
  CacheMutex& operator=(const CacheMutex&) = delete;

  // Lockable, for std::lock_guard and std::unique_lock.
  void lock() { pthread_mutex_lock(&mu_); }
  bool try_lock() { return pthread_mutex_trylock(&mu_) == 0; }
  void unlock() { pthread_mutex_unlock(&mu_); }

 private:
  pthread_mutex_t mu_;
};

}  // namespace dnsp::resolver
