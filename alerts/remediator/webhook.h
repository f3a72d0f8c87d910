// Alertmanager webhook payloads (version 4), parsed into plain structs. Unknown fields are
// ignored; a missing or mistyped required field is an error naming it.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "common/status.h"

namespace slurm_remediator {

using slurm_exporter::Result;
using slurm_exporter::Status;

struct Alert {
  std::string status;  // "firing" or "resolved"
  std::map<std::string, std::string> labels;
  std::map<std::string, std::string> annotations;
  std::string starts_at;
  std::string ends_at;
  std::string fingerprint;
  // Identity of this delivery of this alert: the same alert delivered twice (repeats, HA
  // Alertmanager pairs) has the same key.
  std::string Key() const { return fingerprint + "|" + status + "|" + starts_at; }
  std::string Name() const;
};

struct WebhookMessage {
  std::string version;
  std::string status;
  std::string receiver;
  std::string group_key;
  std::vector<Alert> alerts;
};

Result<WebhookMessage> ParseWebhook(const std::string& body);

}  // namespace slurm_remediator
