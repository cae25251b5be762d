//! The same traffic through axum and actix-web gives the same series and values.

use tests::conformance::{self, check_expected, SCRIPT};
use tests::servers;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn axum_and_actix_record_the_same_series() {
    let client = reqwest::Client::new();
    let axum_metrics = conformance::metrics();
    let axum = servers::axum(conformance::axum_app(&axum_metrics)).await;
    let actix_metrics = conformance::metrics();
    let actix = servers::actix(&actix_metrics, 1, conformance::actix_app);

    conformance::run(&client, &axum.base, SCRIPT).await;
    conformance::run(&client, &actix.base, SCRIPT).await;

    let [(_, axum_m), (_, actix_m)] =
        conformance::scrape_alike(&client, &axum.base, &actix.base).await;
    check_expected("axum", &axum_m);
    check_expected("actix", &actix_m);
}
