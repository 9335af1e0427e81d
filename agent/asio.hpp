// The one way sluice includes Boost.Asio: Boost 1.74's awaitable.hpp uses
// std::exchange without including <utility>, which g++ 12 in C++20 rejects.
#pragma once
#include <utility>
#include <boost/asio.hpp>
