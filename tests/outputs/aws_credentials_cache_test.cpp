// AWS credentials over time: the cache with a fake clock and fetch (one fetch
// shared, refresh ahead of expiry, background refresh failures, invalidate,
// stop), then the same against the stand-in, and no secret in sluice's log.
#include <catch2/catch.hpp>

#include <set>

#include "outputs/common/aws/aws_credentials.hpp"
#include "outputs/common/aws/aws_credentials_cache.hpp"
#include "tests/outputs/aws_test_support.hpp"

namespace SLUICE_UNITY_ID {

using namespace sluice;
using namespace sluice::test;
using namespace std::chrono_literals;
using std::chrono::system_clock;

namespace {

struct FakeSource {
  system_clock::time_point now = system_clock::time_point(std::chrono::sys_days(std::chrono::year(2026) / 11 / 21));
  std::vector<aws::CredentialsDone> pending;
  int fetches = 0;
  aws::CredentialsCache cache{"credentials", [this](aws::CredentialsDone d) {
                                ++fetches;
                                pending.push_back(std::move(d));
                              },
                              300s, [this] { return now; }};

  void answer(const std::string& key, std::optional<system_clock::duration> lifetime) {
    REQUIRE(!pending.empty());
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    aws::Credentials c{key, "secret-" + key, "", std::nullopt};
    if (lifetime) c.expiration = now + *lifetime;
    done({std::make_shared<const aws::Credentials>(c), "", "fake"});
  }
  void fail(const std::string& error) {
    REQUIRE(!pending.empty());
    auto done = std::move(pending.front());
    pending.erase(pending.begin());
    done({nullptr, error, ""});
  }
  // Every answer in order: a key id or "error: …".
  std::vector<std::string> answers;
  // get(): the key id answered at once, or "(waiting)" when done was not called yet.
  std::string get() {
    size_t before = answers.size();
    cache.get([this](aws::CredentialsResult r) {
      answers.push_back(r.credentials ? r.credentials->access_key_id : "error: " + r.error);
    });
    return answers.size() > before ? answers.back() : "(waiting)";
  }
};

}  // namespace

TEST_CASE("AWS credentials cache: one fetch, refresh ahead of expiry", "[aws][credentials]") {
  FakeSource f;
  for (int i = 0; i < 5; ++i) CHECK(f.get() == "(waiting)");
  CHECK(f.fetches == 1);
  f.answer("K1", 1h);
  CHECK(f.answers == std::vector<std::string>(5, "K1"));

  f.now += 30min;
  CHECK(f.get() == "K1");
  CHECK(f.fetches == 1);

  SECTION("in the last refresh_before: the current ones now, a fetch in the background") {
    f.now += 26min;  // 4 min before expiry
    CHECK(f.get() == "K1");
    CHECK(f.fetches == 2);
    CHECK(f.get() == "K1");  // the fetch in flight is shared
    CHECK(f.fetches == 2);
    f.answer("K2", 1h);
    CHECK(f.get() == "K2");
  }
  SECTION("a failed background refresh keeps the current ones, logged, and waits before trying again") {
    LogCapture log(spdlog::level::trace);
    f.now += 26min;
    CHECK(f.get() == "K1");
    f.fail("STS down");
    CHECK(f.get() == "K1");
    CHECK(f.fetches == 2);
    CHECK(log.count("refreshing credentials failed, still using the current ones until 2026-11-21T00:59:50Z: STS down") == 1);
    f.now += 11s;
    CHECK(f.get() == "K1");
    CHECK(f.fetches == 3);
  }
  SECTION("too close to expiry to sign with: wait for the fetch, and share its error") {
    f.now += 29min + 55s;  // 5 s before expiry
    CHECK(f.get() == "(waiting)");
    f.fail("IMDS unreachable");
    CHECK(f.answers.back() == "error: IMDS unreachable");
  }
  SECTION("invalidate: the next get waits for a fetch") {
    f.cache.invalidate();
    CHECK(f.get() == "(waiting)");
    CHECK(f.fetches == 2);
    f.answer("K2", 1h);
    CHECK(f.answers.back() == "K2");
  }
  SECTION("stop: a waiting get is dropped, later ones fail at once") {
    f.cache.invalidate();
    size_t before = f.answers.size();
    CHECK(f.get() == "(waiting)");
    f.cache.stop();
    f.answer("K2", 1h);
    CHECK(f.answers.size() == before);
    CHECK(f.get() == "error: the AWS credentials provider is stopped");
  }
}

TEST_CASE("AWS credentials cache: lifetimes", "[aws][credentials]") {
  FakeSource f;
  SECTION("credentials without expiration are kept") {
    f.get();
    f.answer("K1", std::nullopt);
    f.now += 24h * 365;
    CHECK(f.get() == "K1");
    CHECK(f.fetches == 1);
  }
  SECTION("already expired answers are an error naming the clock") {
    f.get();
    f.answer("K1", -1s);
    REQUIRE(f.answers.size() == 1);
    CHECK(f.answers[0] == "error: fake gave credentials that expired at 2026-11-20T23:59:59Z (now 2026-11-21T00:00:00Z): is "
                      "the clock right?");
  }
  SECTION("short lifetimes refresh half-way, and stop being used in their last quarter (10 s at most)") {
    aws::Credentials c{"K", "S", "", f.now + 8s};
    CHECK(aws::CredentialsCache::refresh_at(c, f.now, 300s) == f.now + 4s);
    CHECK(aws::CredentialsCache::usable_until(c, f.now) == f.now + 6s);
    c.expiration = f.now + 1h;
    CHECK(aws::CredentialsCache::refresh_at(c, f.now, 300s) == f.now + 55min);
    CHECK(aws::CredentialsCache::usable_until(c, f.now) == f.now + 1h - 10s);
  }
}

namespace {

struct ContainerChain {
  CleanAwsEnv env;
  AwsStandin standin;
  boost::asio::io_context io;
  std::unique_ptr<aws::CredentialsProvider> provider;
  explicit ContainerChain(std::vector<std::string> standin_args = {}, aws::CredentialsSettings s = {})
      : standin(std::move(standin_args)) {
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", standin.url() + "/container/creds");
    s.sts_endpoint = standin.url();
    provider = aws::make_credentials_provider(std::move(s));
    provider->start(io);
  }
  ~ContainerChain() { provider->stop(); }
  aws::CredentialsResult get() { return get_credentials(io, *provider); }
};

}  // namespace

TEST_CASE("AWS credentials: many signs, one fetch, and invalidate", "[aws][credentials]") {
  ContainerChain chain;
  std::vector<aws::CredentialsResult> answers;
  for (int i = 0; i < 20; ++i) chain.provider->get([&](aws::CredentialsResult r) { answers.push_back(std::move(r)); });
  REQUIRE(run_until(chain.io, [&] { return answers.size() == 20; }));
  for (int i = 0; i < 20; ++i) chain.provider->get([&](aws::CredentialsResult r) { answers.push_back(std::move(r)); });
  CHECK(answers.size() == 40);  // from the cache, at once
  std::set<std::string> keys;
  for (const auto& a : answers) keys.insert(a.credentials ? a.credentials->access_key_id : a.error);
  CHECK(keys.size() == 1);
  CHECK(chain.standin.requests("container").size() == 1);

  chain.provider->invalidate();
  auto fresh = chain.get();
  REQUIRE(fresh.credentials);
  CHECK(fresh.credentials->access_key_id != *keys.begin());
  CHECK(chain.standin.requests("container").size() == 2);
}

TEST_CASE("AWS credentials are refreshed before they expire", "[aws][credentials]") {
  // Credentials living 6 s: fetched again after about 3 s while the current
  // ones still sign; every get on the way is answered with working ones.
  ContainerChain chain({"--expires-in", "6"});
  std::vector<aws::CredentialsResult> answers;
  boost::asio::steady_timer tick(chain.io);
  std::function<void()> get_every_100ms = [&] {
    chain.provider->get([&](aws::CredentialsResult r) { answers.push_back(std::move(r)); });
    tick.expires_after(100ms);
    tick.async_wait([&](boost::system::error_code ec) {
      if (!ec) get_every_100ms();
    });
  };
  get_every_100ms();
  std::set<std::string> keys;
  size_t errors = 0;
  auto tally = [&] {
    for (const auto& a : answers) {
      if (a.credentials) keys.insert(a.credentials->access_key_id);
      else ++errors;
    }
    answers.clear();
    return keys.size() >= 2 || errors > 0;
  };
  CHECK(run_until(chain.io, tally));
  tick.cancel();
  CHECK(errors == 0);
  auto seen = chain.standin.requests("container");
  REQUIRE(seen.size() >= 2);
  CHECK(keys == std::set<std::string>{seen[0].minted_key, seen[1].minted_key});
}

TEST_CASE("AWS credentials with a role: invalidate fetches both again", "[aws][credentials]") {
  aws::CredentialsSettings s;
  s.region = "eu-west-1";
  s.role_arn = "arn:aws:iam::123456789012:role/r";
  ContainerChain chain({}, s);
  auto first = chain.get();
  REQUIRE(first.credentials);
  CHECK(chain.get().credentials == first.credentials);
  CHECK(chain.standin.requests("sts").size() == 1);
  chain.provider->invalidate();
  auto second = chain.get();
  REQUIRE(second.credentials);
  CHECK(second.credentials->access_key_id != first.credentials->access_key_id);
  CHECK(chain.standin.requests("container").size() == 2);
  CHECK(chain.standin.requests("sts").size() == 2);
  CHECK(chain.standin.requests("sts")[1].verified == true);
}

TEST_CASE("AWS credentials provider: stop drops fetches in flight", "[aws][credentials]") {
  ContainerChain chain;
  bool called = false;
  chain.provider->get([&](aws::CredentialsResult) { called = true; });
  chain.provider->stop();
  chain.io.restart();
  chain.io.run_for(1s);  // returns as soon as nothing is left to run
  CHECK(!called);
  auto r = get_credentials(chain.io, *chain.provider);
  CHECK(r.error == "the AWS credentials provider is stopped");
}

TEST_CASE("AWS credentials: no secret reaches the log, each source is logged once", "[aws][credentials]") {
  LogCapture log(spdlog::level::trace);  // every level: no secret at debug or trace either
  std::vector<std::string> secrets{kTestSecret, "web-identity-secret-token", "container-secret-token"};
  {
    CleanAwsEnv env;
    AwsStandin standin({"--container-token", "container-secret-token"});
    env.set("AWS_CONTAINER_CREDENTIALS_FULL_URI", standin.url() + "/container/creds");
    env.set("AWS_CONTAINER_AUTHORIZATION_TOKEN", "container-secret-token");
    env.set("AWS_EC2_METADATA_SERVICE_ENDPOINT", standin.url());
    boost::asio::io_context io;
    aws::CredentialsSettings s;
    s.sts_endpoint = standin.url();
    s.role_arn = "arn:aws:iam::123456789012:role/r";
    for (int round = 0; round < 3; ++round) {
      auto provider = aws::make_credentials_provider(s);
      provider->start(io);
      if (round == 1) {  // web identity
        write_file(env.home() + "/token", "web-identity-secret-token");
        env.set("AWS_ROLE_ARN", "arn:aws:iam::123456789012:role/irsa");
        env.set("AWS_WEB_IDENTITY_TOKEN_FILE", env.home() + "/token");
      }
      if (round == 2) {  // IMDS, then a refused AssumeRole
        env.unset("AWS_ROLE_ARN");
        env.unset("AWS_CONTAINER_CREDENTIALS_FULL_URI");
        env.unset("AWS_EC2_METADATA_DISABLED");
      }
      for (int i = 0; i < 3; ++i) {
        auto r = get_credentials(io, *provider);
        INFO(r.error);
        CHECK(r.credentials);
        provider->invalidate();
      }
      if (round == 2) {
        standin.control(R"({"fail": {"sts": {"status": 403, "code": "ExpiredToken", "message": "expired"}}})");
        CHECK(!get_credentials(io, *provider).credentials);
        standin.control("{}");
      }
      provider->stop();
    }
    for (const auto& r : standin.requests()) {
      if (!r.minted_secret.empty()) {
        secrets.push_back(r.minted_secret);
        secrets.push_back(r.minted_token);
      }
    }
    CHECK(secrets.size() > 20);
  }
  std::string text = log.text();
  for (const auto& secret : secrets) {
    INFO(secret);
    CHECK(text.find(secret) == std::string::npos);
  }
  CHECK(log.count("[info] aws: credentials from the container endpoint") == 1);
  CHECK(log.count("[info] aws: credentials from role arn:aws:iam::123456789012:role/r assumed with credentials from "
                  "the container endpoint") == 1);
  CHECK(log.count("[info] aws: credentials from web identity token file") == 1);
  CHECK(log.count("[info] aws: credentials from EC2 instance metadata (role sluice-test-role)") == 1);
  CHECK(log.count("[info] aws: credentials from") == 6);
}

}  // namespace SLUICE_UNITY_ID
