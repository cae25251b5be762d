//! The `#[measured]` attribute: every call of the function is counted (with its result),
//! timed and tracked while in progress, as Prometheus metrics on the process-wide default
//! registry that `/metrics` serves — the guides' `track_api_call` and `track_metrics`
//! decorators, in one line. Use it through `tower-metrics`, `actix-metrics` or
//! `http-metrics-core` with their `macros` feature, which re-export it.
//!
//! ```text
//! use tower_metrics::measured;
//!
//! #[measured(service = "payment", endpoint = "charge")]
//! async fn charge_customer(customer_id: &str, amount: f64) -> Result<(), PaymentError> {
//!     // ...
//! }
//! ```
//!
//! gives `function_calls_total{function="charge_customer",module="…",service="payment",
//! endpoint="charge",result="ok"}` (or `"error"` for an `Err`), the histogram
//! `function_calls_duration_seconds` and the gauge `function_calls_concurrent` with the same
//! labels but `result`. The metrics and their exact meaning are documented in the runtime,
//! `http_metrics_core::measured`.
//!
//! The generated code is small: a `static` call site that resolves its series the first
//! time, a guard started before the body and finished with its result after it. The body
//! runs as a closure (or an `async` block), so `return` and `?` behave as in the function.

use proc_macro::TokenStream;
use proc_macro2::TokenStream as TokenStream2;
use quote::{format_ident, quote};
use syn::parse::Parser;
use syn::punctuated::Punctuated;
use syn::{parse_macro_input, parse_quote, Expr, ItemFn, Lit, MetaNameValue, ReturnType, Token};

/// Counts, times and tracks every call of a function; see the crate docs.
///
/// Labels fixed at the attribute, `name = "value"`, are added to every series of the
/// function (not `function`, `module` or `result`, which it sets itself). A function that
/// returns a `Result` (any type whose name is `Result`) counts an `Err` as `result="error"`;
/// a panic is an error too, and an `async` function dropped before it completed is
/// `result="cancelled"`.
///
/// The body keeps the function's return type, so `return` and `?` mean what they meant. One
/// exception, in an `async` function: its body becomes an `async` block, whose type Rust takes
/// from its first `return`, so a `return` that relies on a coercion must write it out —
/// `return Err(Box::new(e) as Box<dyn Error>)`, not `return Err(Box::new(e))`, when the
/// function returns `Result<_, Box<dyn Error>>`.
#[proc_macro_attribute]
pub fn measured(attr: TokenStream, item: TokenStream) -> TokenStream {
    let labels = match Punctuated::<MetaNameValue, Token![,]>::parse_terminated.parse(attr) {
        Ok(labels) => labels,
        Err(error) => return error.to_compile_error().into(),
    };
    let mut keys = Vec::new();
    let mut values = Vec::new();
    for label in &labels {
        let key = match label.path.get_ident() {
            Some(ident) => ident.to_string(),
            None => {
                return error(
                    label,
                    "a label name is a plain identifier: `service = \"payment\"`",
                )
            }
        };
        if ["function", "module", "result"].contains(&key.as_str()) || key.starts_with("__") {
            return error(
                label,
                "`function`, `module` and `result` are set by the attribute itself",
            );
        }
        let value = match &label.value {
            Expr::Lit(lit) => match &lit.lit {
                Lit::Str(value) => value.value(),
                _ => return error(label, "a label value is a string literal"),
            },
            _ => return error(label, "a label value is a string literal"),
        };
        keys.push(key);
        values.push(value);
    }

    let mut function = parse_macro_input!(item as ItemFn);
    let runtime = runtime();
    let name = function.sig.ident.to_string();
    let (returns_result, ty) = match &function.sig.output {
        ReturnType::Default => (false, Some(quote!(()))),
        ReturnType::Type(_, ty) => {
            let is_result = matches!(&**ty, syn::Type::Path(p)
                if p.path.segments.last().is_some_and(|s| s.ident == "Result"));
            // `impl Trait` cannot be named here: inference finds the type instead.
            let opaque = quote!(#ty).to_string().contains("impl ");
            (is_result, (!opaque).then(|| quote!(#ty)))
        }
    };
    let annotation = ty.as_ref().map(|ty| quote!(: #ty));
    let block = &function.block;
    // The body keeps the function's return type, so that its `return`s and `?`s coerce
    // (a `Box<dyn Error>`, a reborrow) exactly as in the function itself.
    let body = match (function.sig.asyncness.is_some(), &ty) {
        (true, Some(ty)) => quote!(#runtime::measured::typed::<#ty, _>(async move #block).await),
        (true, None) => quote!(async move #block.await),
        (false, Some(ty)) => quote!((move || -> #ty #block)()),
        (false, None) => quote!((move || #block)()),
    };
    let ok = if returns_result {
        quote!(__measured_result.is_ok())
    } else {
        quote!(true)
    };
    let new_block: TokenStream2 = quote!({
        static __MEASURED_SITE: #runtime::measured::CallSite = #runtime::measured::CallSite::new(
            #name,
            ::core::module_path!(),
            &[#((#keys, #values)),*],
        );
        let __measured_call = __MEASURED_SITE.start();
        let __measured_result #annotation = #body;
        __measured_call.finish(#ok);
        __measured_result
    });
    function.block = parse_quote!(#new_block);
    quote!(#function).into()
}

fn error(at: &MetaNameValue, message: &str) -> TokenStream {
    syn::Error::new_spanned(at, message)
        .to_compile_error()
        .into()
}

/// The path of the runtime, under the name the calling crate depends on it by: the core
/// itself, or an adapter's re-export of it.
fn runtime() -> TokenStream2 {
    use proc_macro_crate::{crate_name, FoundCrate};
    // The adapters re-export the core whole, its `measured` runtime included.
    for package in ["http-metrics-core", "tower-metrics", "actix-metrics"] {
        let name = match crate_name(package) {
            // Used in the package's own tests, examples or doctests: an extern crate there.
            Ok(FoundCrate::Itself) => package.replace('-', "_"),
            Ok(FoundCrate::Name(name)) => name,
            Err(_) => continue,
        };
        let ident = format_ident!("{name}");
        return quote!(::#ident);
    }
    quote!(::http_metrics_core)
}
