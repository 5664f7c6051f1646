//! Integration tests over real HTTP on 127.0.0.1:0, one module per area.
#![allow(non_snake_case)]

mod common;

mod cache;
mod cache_bounds;
mod cache_consistency;
mod cookies;
mod cors;
mod error_ergonomics;
mod helpers_over_http;
mod methods;
mod navigation;
mod nested;
mod params;
mod request;
mod responses;
mod routing;
mod security;
mod shutdown_and_asterisk;
mod slow_clients;
