//! AML screening with iDenfy's DEV dummy entities (`aml_screening` per
//! partner): the person `Manfred Weber`, the company `GoPayments` and the
//! adverse-media subject `Cliff Hazard` are hits that make the result
//! SUSPECTED with `AML_SUSPECTION`; other names screen clean; without the
//! setting the AML blocks stay null.

use crate::helpers::*;
use serde_json::{json, Value};

/// `dev-key` screens, `dev2-key` does not; both send to `hook`.
fn screening(hook: &str) -> Setup {
    Setup::toml(&format!(
        "listen = '127.0.0.1:0'\n[webhooks]\nretry_delay_ms = 20\n\
         [[partners]]\napi_key = 'dev-key'\napi_secret = 'dev-secret'\n\
         webhook_url = '{hook}'\naml_screening = true\n\
         [[partners]]\napi_key = 'dev2-key'\napi_secret = 'dev2-secret'\n\
         webhook_url = '{hook}'\n"
    ))
}

/// An APPROVED dummy for `names` by `auth`: its webhook and `/api/v2/full`.
async fn result_for(m: &Mock, rx: &Receiver, auth: (&str, &str), names: Value) -> (Value, Value) {
    let mut body = json!({"clientId": "aml", "dummyStatus": "APPROVED"});
    for (k, v) in names.as_object().unwrap() {
        body[k] = v.clone();
    }
    let t = m.token(auth, body).await;
    let hook = eventually("the result webhook", || {
        rx.received()
            .iter()
            .map(Received::json)
            .find(|w| w["scanRef"] == t["scanRef"])
    })
    .await;
    let (s, full) = m
        .post("/api/v2/full", auth, json!({"scanRef": t["scanRef"]}))
        .await;
    assert_eq!(s, 200);
    (hook, full)
}

/// The v2 entry of `service`, if listed.
fn service<'a>(result: &'a Value, name: &str) -> Option<&'a Value> {
    result["AML"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["serviceName"] == name)
}

#[tokio::test]
async fn each_dummy_entity_makes_the_result_suspected_with_its_finding() {
    let rx = Receiver::start().await;
    let m = Mock::start(screening(&rx.url)).await;
    for (names, hit_service, v3_list) in [
        (
            json!({"firstName": "Manfred", "lastName": "Weber"}),
            "AML_NAMES_CHECK",
            "amlCheck",
        ),
        (
            json!({"firstName": "manfred", "lastName": "WEBER"}),
            "AML_NAMES_CHECK",
            "amlCheck",
        ),
        (
            json!({"lastName": "GoPayments"}),
            "COMPANY_CHECK",
            "amlCheck",
        ),
        (
            json!({"firstName": "Cliff", "lastName": "hazard"}),
            "AML_NEWS",
            "adverseMedia",
        ),
    ] {
        let (hook, full) = result_for(&m, &rx, DEV, names.clone()).await;
        for result in [&hook, &full] {
            let status = &result["status"];
            assert_eq!(status["overall"], "SUSPECTED", "{names}: {status}");
            assert_eq!(status["fraudTags"], json!(["AML_SUSPECTION"]), "{names}");
            // Face and document stay clean: the match alone is the suspicion.
            assert_eq!(status["autoFace"], "FACE_MATCH");
            assert_eq!(status["autoDocument"], "DOC_VALIDATED");
            let found = service(result, hit_service).expect("the service that found it");
            assert_eq!(found["status"]["serviceSuspected"], true, "{names}");
            assert_eq!(found["status"]["overallStatus"], "SUSPECTED");
            assert_eq!(found["data"].as_array().unwrap().len(), 1, "{found}");
            let others = result["AML"].as_array().unwrap().iter();
            for other in others.filter(|e| e["serviceName"] != hit_service) {
                assert_eq!(other["status"]["overallStatus"], "NOT_SUSPECTED", "{other}");
            }
            let check = &result["amlCheck"];
            assert_eq!(check["overallStatus"], "FLAGS_FOUND", "{check}");
            assert_eq!(check[v3_list].as_array().unwrap().len(), 1, "{check}");
        }
        assert_eq!(hook["AML"], full["AML"]);
        assert_eq!(hook["amlCheck"], full["amlCheck"]);
        let (_, status) = m
            .post("/api/v2/status", DEV, json!({"scanRef": hook["scanRef"]}))
            .await;
        assert_eq!(status["status"], "SUSPECTED");
        assert_eq!(status["fraudTags"], json!(["AML_SUSPECTION"]));
    }
    let person = result_for(
        &m,
        &rx,
        DEV,
        json!({"firstName": "Manfred", "lastName": "Weber"}),
    )
    .await
    .0;
    let entry = &service(&person, "AML_NAMES_CHECK").unwrap()["data"][0];
    assert_eq!(
        (&entry["name"], &entry["surname"]),
        (&json!("MANFRED"), &json!("WEBER"))
    );
    assert_eq!(entry["suspicion"], "PEPS");
    let company = result_for(&m, &rx, DEV, json!({"firstName": "GoPayments"}))
        .await
        .0;
    let entry = &service(&company, "COMPANY_CHECK").unwrap()["data"][0];
    assert_eq!(
        (&entry["suspicion"], &entry["isPerson"]),
        (&json!("SANCTION"), &json!(false))
    );
    let media = result_for(
        &m,
        &rx,
        DEV,
        json!({"firstName": "Cliff", "lastName": "Hazard"}),
    )
    .await
    .0;
    let article = &service(&media, "AML_NEWS").unwrap()["data"][0];
    assert_eq!(article["type"], "NEGATIVE");
    assert!(article["score"].is_string(), "{article}");
}

#[tokio::test]
async fn an_ordinary_name_screens_clean() {
    let rx = Receiver::start().await;
    let m = Mock::start(screening(&rx.url)).await;
    for names in [
        json!({"firstName": "John", "lastName": "Smith"}),
        json!({"firstName": "Manfred"}),
        json!({}),
    ] {
        let (hook, full) = result_for(&m, &rx, DEV, names.clone()).await;
        for result in [&hook, &full] {
            assert_eq!(result["status"]["overall"], "APPROVED", "{names}");
            assert_eq!(result["status"]["fraudTags"], json!([]));
            let services: Vec<&Value> = result["AML"].as_array().unwrap().iter().collect();
            assert_eq!(
                services
                    .iter()
                    .map(|s| s["serviceName"].as_str().unwrap())
                    .collect::<Vec<_>>(),
                ["AML_NAMES_CHECK", "AML_NEWS"]
            );
            for s in services {
                assert_eq!(s["status"]["serviceSuspected"], false, "{s}");
                assert_eq!(s["status"]["overallStatus"], "NOT_SUSPECTED");
                assert_eq!(s["status"]["checkSuccessful"], true);
                assert_eq!(s["data"], json!([]));
            }
            let check = &result["amlCheck"];
            assert_eq!(check["overallStatus"], "NO_FLAGS", "{check}");
            assert_eq!(check["amlCheck"], json!([]));
            assert_eq!(check["adverseMedia"], json!([]));
        }
    }
}

#[tokio::test]
async fn without_screening_the_aml_blocks_stay_null() {
    let rx = Receiver::start().await;
    let m = Mock::start(screening(&rx.url)).await;
    let weber = json!({"firstName": "Manfred", "lastName": "Weber"});
    // A partner without aml_screening.
    let (hook, full) = result_for(&m, &rx, DEV2, weber.clone()).await;
    // A screening partner's token that turns it off.
    let mut off = weber.clone();
    off["checkAml"] = json!(false);
    let (hook_off, full_off) = result_for(&m, &rx, DEV, off).await;
    for result in [&hook, &full, &hook_off, &full_off] {
        assert_eq!(result["status"]["overall"], "APPROVED", "{result}");
        assert_eq!(result["AML"], Value::Null);
        assert_eq!(result["amlCheck"], Value::Null);
        assert!(result.as_object().unwrap().contains_key("amlCheck"));
    }
    // An expired token has no result to screen.
    let t = m
        .token(DEV, json!({"clientId": "c", "dummyStatus": "EXPIRED", "firstName": "Cliff", "lastName": "Hazard"}))
        .await;
    let (_, full) = m
        .post("/api/v2/full", DEV, json!({"scanRef": t["scanRef"]}))
        .await;
    assert_eq!(
        (&full["AML"], &full["amlCheck"]),
        (&Value::Null, &Value::Null)
    );
}

#[tokio::test]
async fn aml_screening_is_refused_for_a_partner_outside_dev() {
    let setup = "listen = '127.0.0.1:0'\n[[partners]]\napi_key = 'k'\napi_secret = 's'\n\
                 environment = 'TEST'\naml_screening = true\n";
    let path = std::env::temp_dir().join(format!("aml-{}.toml", std::process::id()));
    std::fs::write(&path, setup).unwrap();
    let mut p = Proc::spawn(&["--config", path.to_str().unwrap()]);
    let (code, printed) = p.exit();
    std::fs::remove_file(&path).ok();
    assert_ne!(code, Some(0), "{printed}");
    assert!(
        printed.contains("partners[0].aml_screening") && printed.contains("DEV"),
        "{printed}"
    );
}

#[tokio::test]
async fn a_failed_attempt_of_an_aml_hit_is_suspected_at_once_not_a_retry() {
    let rx = Receiver::start().await;
    let m = Mock::start(screening(&rx.url)).await;
    let t = m
        .token(
            DEV,
            json!({"clientId": "c", "firstName": "Manfred", "lastName": "Weber"}),
        )
        .await;
    let scan_ref = t["scanRef"].as_str().unwrap();
    // A deny with an attempt left would be a retry; the hit's tag makes the
    // result SUSPECTED, which ends the session.
    let (s, done) = m
        .cpost(
            &format!("/_mock/verifications/{scan_ref}/finish"),
            json!({"outcome": "deny"}),
        )
        .await;
    assert_eq!(s, 200, "{done}");
    assert_ne!(done["result"], "retry", "{done}");
    assert_eq!(done["verification"]["status"], "SUSPECTED", "{done}");
    let hook = rx.wait_for(1).await[0].json();
    assert_eq!(hook["status"]["overall"], "SUSPECTED");
    assert_eq!(hook["status"]["fraudTags"], json!(["AML_SUSPECTION"]));
}
