// Checking a request's credentials; see http_auth.hpp.
#include "inputs/http/http_auth.hpp"

#include "agent/ascii_case.hpp"

namespace sluice {

namespace {

// An Authorization header against an expected "Scheme credentials".
bool credentials_match(std::string_view got, std::string_view want) {
  size_t gs = got.find(' '), ws = want.find(' ');
  if (gs == std::string_view::npos || !ascii_iequals(got.substr(0, gs), want.substr(0, ws))) return false;
  got = got.substr(gs);
  while (!got.empty() && got.front() == ' ') got.remove_prefix(1);
  want = want.substr(ws + 1);
  if (got.size() != want.size()) return false;
  unsigned char diff = 0;
  for (size_t i = 0; i < got.size(); ++i) diff |= static_cast<unsigned char>(got[i] ^ want[i]);
  return diff == 0;
}

}  // namespace

bool http_authorized(const HttpInputSettings& s, std::string_view authorization) {
  if (s.basic_credentials.empty() && s.bearer_credentials.empty()) return true;
  return (!s.basic_credentials.empty() && credentials_match(authorization, s.basic_credentials)) ||
         (!s.bearer_credentials.empty() && credentials_match(authorization, s.bearer_credentials));
}

}  // namespace sluice
