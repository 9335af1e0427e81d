// libFuzzer target for what the cloud outputs read from the network or
// from a user's files: token endpoints' answers (Google, Entra ID / IMDS,
// IBM IAM, OCI federation), AWS credential answers (IMDS / ECS JSON, STS
// XML), the AWS and OCI config files. Any bytes give a token, credentials
// or a one-line error, never a crash; no error quotes a token it read. The
// first byte picks the reader (low 4 bits), a non-2xx status (0x10), an
// HTML Content-Type (0x20) and Google's Metadata-Flavor header (0x40).
#include <cstdint>
#include <cstdlib>
#include <string>
#include <string_view>

#include "outputs/common/aws/aws_credentials_profile.hpp"
#include "outputs/common/aws/aws_metadata_credentials.hpp"
#include "outputs/common/aws/aws_sts.hpp"
#include "outputs/common/azure/entra_token_fetch.hpp"
#include "outputs/common/gcp/google_token_fetch.hpp"
#include "outputs/common/ibm/iam_token.hpp"
#include "outputs/common/oci/oci_config_file.hpp"
#include "outputs/common/oci/oci_federation.hpp"

namespace {

using namespace sluice;

// A reader's answer: a token (non-empty, never inside error) or an error
// (non-empty, on one line).
void check(const http::TokenAnswer& a) {
  if (a.token.has_value() == !a.error.empty()) std::abort();
  if (a.token && (a.token->value.empty() || a.token->expires_in.count() <= 0)) std::abort();
  if (a.error.find('\n') != std::string::npos) std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size == 0) return 0;
  const uint8_t mode = data[0];
  std::string_view bytes(reinterpret_cast<const char*>(data + 1), size - 1);
  http::Response r;
  r.status = (mode & 0x10) ? 400 + (mode >> 7) : 200;
  r.body.assign(bytes);
  if (mode & 0x20) r.headers.push_back({"Content-Type", "text/html"});
  if (mode & 0x40) r.headers.push_back({"Metadata-Flavor", "Google"});
  const auto now = std::chrono::system_clock::time_point(std::chrono::seconds(1'795'000'000));
  switch ((mode & 0x0f) % 9) {
    case 0:
      check(gcp::read_token_answer(r, "google", (mode & 0x40) != 0));
      break;
    case 1:
      check(azure::read_token_answer(r, "entra", now));
      break;
    case 2:
      check(ibm::read_iam_answer(r, "iam", now));
      break;
    case 3: {
      std::string error;
      auto token = oci::read_federation_answer(r, "federation", error);
      if (token.has_value() == !error.empty()) std::abort();
      oci::parse_security_token(bytes);
      break;
    }
    case 4: {
      auto c = aws::parse_json_credentials("imds", bytes);
      (void)c;
      break;
    }
    case 5: {
      auto c = aws::parse_sts_answer("AssumeRole", "https://sts", r, {"secret"});
      (void)c;
      aws::xml_text(bytes, "SessionToken");
      break;
    }
    case 6:
      aws::parse_ini(bytes);
      break;
    case 7: {
      std::string error;
      auto profile = oci::parse_config_profile(bytes, "config", "DEFAULT", error);
      if (profile.has_value() == !error.empty()) std::abort();
      if (!error.empty() && error.find("config") == std::string::npos) std::abort();  // names the file
      break;
    }
    default: {
      std::string error;
      oci::parse_region_info(bytes, "metadata", error);
      break;
    }
  }
  return 0;
}
