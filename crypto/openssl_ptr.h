// OpenSslPtr<T, FreeFn>: an OpenSSL object in a std::unique_ptr whose deleter is its own free
// function (STYLE: OpenSSL objects live in unique_ptr with their free function). The one
// definition for crypto/ and its tests; only code that may include OpenSSL uses it.
#pragma once

#include <memory>

namespace dnsp::crypto {

template <auto FreeFn>
struct OpenSslFree {
  template <class T>
  void operator()(T* p) const noexcept {
    FreeFn(p);
  }
};

template <class T, auto FreeFn>
using OpenSslPtr = std::unique_ptr<T, OpenSslFree<FreeFn>>;

}  // namespace dnsp::crypto
