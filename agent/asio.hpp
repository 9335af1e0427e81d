// The one way sluice includes Boost.Asio: Boost 1.74's awaitable.hpp uses
// std::exchange without including <utility>, which g++ 12 in C++20 rejects.
#pragma once
#include <utility>
// Boost 1.74 looks for coroutines under clang only as the old Coroutines TS
// (<experimental/coroutine>), which libstdc++ 12 doesn't have; clang 14 in
// C++20 has standard coroutines and libstdc++'s <coroutine> works with them
// (the fuzz build compiles the whole tree with clang).
#if defined(__clang__) && defined(__cpp_impl_coroutine) && __cpp_impl_coroutine >= 201902L
#ifndef BOOST_ASIO_HAS_CO_AWAIT
#define BOOST_ASIO_HAS_CO_AWAIT 1
#endif
#ifndef BOOST_ASIO_HAS_STD_COROUTINE
#define BOOST_ASIO_HAS_STD_COROUTINE 1
#endif
#endif
#include <boost/asio.hpp>
