#include "alerts/remediator/webhook.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

namespace slurm_remediator {
namespace {

using nlohmann::json;

Status Bad(const std::string& what) { return Status::Error("webhook", what); }

Result<std::map<std::string, std::string>> StringMap(const json& j, const std::string& where) {
  std::map<std::string, std::string> out;
  if (j.is_null()) return out;
  if (!j.is_object()) return Bad(where + " must be an object");
  for (const auto& [k, v] : j.items()) {
    if (!v.is_string()) return Bad(fmt::format("{}.{} must be a string", where, k));
    out[k] = v.get<std::string>();
  }
  return out;
}

std::string OptString(const json& j, const char* key) {
  auto it = j.find(key);
  return it != j.end() && it->is_string() ? it->get<std::string>() : std::string();
}

}  // namespace

std::string Alert::Name() const {
  auto it = labels.find("alertname");
  return it == labels.end() ? std::string() : it->second;
}

Result<WebhookMessage> ParseWebhook(const std::string& body) {
  json j = json::parse(body, nullptr, /*allow_exceptions=*/false);
  if (j.is_discarded()) return Bad("body is not valid JSON");
  if (!j.is_object()) return Bad("body must be a JSON object");
  WebhookMessage m;
  m.version = OptString(j, "version");
  if (m.version != "4") return Bad(fmt::format("unsupported version '{}' (want \"4\")", m.version));
  m.status = OptString(j, "status");
  m.receiver = OptString(j, "receiver");
  m.group_key = OptString(j, "groupKey");
  auto alerts = j.find("alerts");
  if (alerts == j.end() || !alerts->is_array()) return Bad("alerts must be an array");
  for (size_t i = 0; i < alerts->size(); ++i) {
    const json& a = (*alerts)[i];
    const std::string where = fmt::format("alerts[{}]", i);
    if (!a.is_object()) return Bad(where + " must be an object");
    Alert alert;
    alert.status = OptString(a, "status");
    if (alert.status != "firing" && alert.status != "resolved") {
      return Bad(where + ".status must be \"firing\" or \"resolved\"");
    }
    auto labels = StringMap(a.value("labels", json()), where + ".labels");
    if (!labels.ok()) return labels.status();
    alert.labels = std::move(labels).value();
    auto ann = StringMap(a.value("annotations", json()), where + ".annotations");
    if (!ann.ok()) return ann.status();
    alert.annotations = std::move(ann).value();
    alert.starts_at = OptString(a, "startsAt");
    alert.ends_at = OptString(a, "endsAt");
    alert.fingerprint = OptString(a, "fingerprint");
    if (alert.fingerprint.empty()) return Bad(where + ".fingerprint is missing");
    if (alert.Name().empty()) return Bad(where + ".labels.alertname is missing");
    m.alerts.push_back(std::move(alert));
  }
  return m;
}

}  // namespace slurm_remediator
