//! Policies and key groups the distribution stopped using (`cloudfront.orphans`): found among the
//! ones it used when its step read it ([`OutputKey::PoliciesInUse`](crate::plan::OutputKey)), and
//! deleted only when this crate made them (their comment says so) and no distribution uses them.
//!
//! Cache and response headers policies are shared by every pipeline with the same configuration, so
//! one another distribution still uses is kept (CloudFront answers `CachePolicyInUse` /
//! `ResponseHeadersPolicyInUse`), and reported so.

use super::policy_comment;
use crate::apply::event::OrphanKind;
use crate::aws::{Ctx, aws_error, error_code};
use crate::error::Error;
use crate::names::SHARED_POLICY_COMMENT;

/// One thing the distribution used, as [`OutputKey::PoliciesInUse`](crate::plan::OutputKey) writes it.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) struct Used {
    pub kind: OrphanKind,
    pub id: String,
}

/// Parses `cache:<id>,response-headers:<id>,key-group:<id>`.
pub(crate) fn parse(text: &str) -> Vec<Used> {
    text.split(',')
        .filter_map(|item| {
            let (kind, id) = item.split_once(':')?;
            let kind = match kind {
                "cache" => OrphanKind::CachePolicy,
                "response-headers" => OrphanKind::ResponseHeadersPolicy,
                "key-group" => OrphanKind::KeyGroup,
                _ => return None,
            };
            (!id.is_empty()).then(|| Used {
                kind,
                id: id.to_owned(),
            })
        })
        .collect()
}

/// Its name and ETag when this crate made it (for this pipeline, or shared); `None` when it is
/// gone or someone else's (an AWS-managed policy, a policy made by hand).
pub(crate) async fn ours(ctx: &Ctx, u: &Used) -> Result<Option<(String, String)>, Error> {
    let cf = &ctx.clients.cloudfront;
    let mine = policy_comment(&ctx.pipeline);
    let found = match u.kind {
        OrphanKind::CachePolicy => match cf.get_cache_policy().id(&u.id).send().await {
            Ok(o) => o
                .cache_policy()
                .and_then(|p| p.cache_policy_config())
                .and_then(|c| {
                    (c.comment() == Some(SHARED_POLICY_COMMENT)).then(|| {
                        (
                            c.name().to_owned(),
                            o.e_tag().unwrap_or_default().to_owned(),
                        )
                    })
                }),
            Err(e) if error_code(&e) == Some("NoSuchCachePolicy") => None,
            Err(e) => return Err(aws_error("cloudfront:GetCachePolicy", &u.id, e)),
        },
        OrphanKind::ResponseHeadersPolicy => {
            match cf.get_response_headers_policy().id(&u.id).send().await {
                Ok(o) => o
                    .response_headers_policy()
                    .and_then(|p| p.response_headers_policy_config())
                    .and_then(|c| {
                        (c.comment() == Some(SHARED_POLICY_COMMENT)).then(|| {
                            (
                                c.name().to_owned(),
                                o.e_tag().unwrap_or_default().to_owned(),
                            )
                        })
                    }),
                Err(e) if error_code(&e) == Some("NoSuchResponseHeadersPolicy") => None,
                Err(e) => return Err(aws_error("cloudfront:GetResponseHeadersPolicy", &u.id, e)),
            }
        }
        OrphanKind::KeyGroup => match cf.get_key_group().id(&u.id).send().await {
            Ok(o) => o
                .key_group()
                .and_then(|g| g.key_group_config())
                .and_then(|c| {
                    (c.comment() == Some(mine.as_str())).then(|| {
                        (
                            c.name().to_owned(),
                            o.e_tag().unwrap_or_default().to_owned(),
                        )
                    })
                }),
            Err(e) if error_code(&e) == Some("NoSuchResource") => None,
            Err(e) => return Err(aws_error("cloudfront:GetKeyGroup", &u.id, e)),
        },
        _ => None,
    };
    Ok(found)
}

/// Deletes it with `If-Match` (a public key's ETag is read here): `Ok(Ok(_))`, or `Ok(Err(why))`
/// when a distribution (for a public key: a key group) still uses it.
pub(crate) async fn delete(
    ctx: &Ctx,
    u: &Used,
    etag: &str,
) -> Result<Result<usize, String>, Error> {
    let cf = &ctx.clients.cloudfront;
    let in_use = "another distribution still uses it".to_owned();
    match u.kind {
        OrphanKind::CachePolicy => {
            match cf
                .delete_cache_policy()
                .id(&u.id)
                .if_match(etag)
                .send()
                .await
            {
                Ok(_) => Ok(Ok(0)),
                Err(e) if error_code(&e) == Some("CachePolicyInUse") => Ok(Err(in_use)),
                Err(e) if error_code(&e) == Some("NoSuchCachePolicy") => Ok(Ok(0)),
                Err(e) => Err(aws_error("cloudfront:DeleteCachePolicy", &u.id, e)),
            }
        }
        OrphanKind::ResponseHeadersPolicy => match cf
            .delete_response_headers_policy()
            .id(&u.id)
            .if_match(etag)
            .send()
            .await
        {
            Ok(_) => Ok(Ok(0)),
            Err(e) if error_code(&e) == Some("ResponseHeadersPolicyInUse") => Ok(Err(in_use)),
            Err(e) if error_code(&e) == Some("NoSuchResponseHeadersPolicy") => Ok(Ok(0)),
            Err(e) => Err(aws_error(
                "cloudfront:DeleteResponseHeadersPolicy",
                &u.id,
                e,
            )),
        },
        OrphanKind::KeyGroup => match cf.delete_key_group().id(&u.id).if_match(etag).send().await {
            Ok(_) => Ok(Ok(0)),
            Err(e) if error_code(&e) == Some("ResourceInUse") => Ok(Err(in_use)),
            Err(e) if error_code(&e) == Some("NoSuchResource") => Ok(Ok(0)),
            Err(e) => Err(aws_error("cloudfront:DeleteKeyGroup", &u.id, e)),
        },
        OrphanKind::PublicKey => {
            let key = match cf.get_public_key().id(&u.id).send().await {
                Ok(k) => k,
                Err(e) if error_code(&e) == Some("NoSuchPublicKey") => return Ok(Ok(0)),
                Err(e) => return Err(aws_error("cloudfront:GetPublicKey", &u.id, e)),
            };
            match cf
                .delete_public_key()
                .id(&u.id)
                .if_match(key.e_tag().unwrap_or_default())
                .send()
                .await
            {
                Ok(_) => Ok(Ok(0)),
                Err(e) if error_code(&e) == Some("PublicKeyInUse") => {
                    Ok(Err("a key group still holds it".into()))
                }
                Err(e) if error_code(&e) == Some("NoSuchPublicKey") => Ok(Ok(0)),
                Err(e) => Err(aws_error("cloudfront:DeletePublicKey", &u.id, e)),
            }
        }
        _ => Ok(Ok(0)),
    }
}

/// The public keys this crate made for the pipeline (their comment says so): `(id, name)`.
pub(crate) async fn public_keys(ctx: &Ctx) -> Result<Vec<(String, String)>, Error> {
    let mine = policy_comment(&ctx.pipeline);
    let mut out = Vec::new();
    let mut marker: Option<String> = None;
    loop {
        let page = ctx
            .clients
            .cloudfront
            .list_public_keys()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:ListPublicKeys", &ctx.pipeline, e))?;
        let Some(list) = page.public_key_list() else {
            return Ok(out);
        };
        out.extend(
            list.items()
                .iter()
                .filter(|k| k.comment() == Some(mine.as_str()))
                .map(|k| (k.id().to_owned(), k.name().to_owned())),
        );
        marker = list.next_marker().map(str::to_owned);
        if marker.is_none() {
            return Ok(out);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_what_the_distribution_step_writes() {
        assert_eq!(
            parse("cache:C1,key-group:K1,response-headers:R1,other:x,cache:"),
            [
                Used {
                    kind: OrphanKind::CachePolicy,
                    id: "C1".into()
                },
                Used {
                    kind: OrphanKind::KeyGroup,
                    id: "K1".into()
                },
                Used {
                    kind: OrphanKind::ResponseHeadersPolicy,
                    id: "R1".into()
                },
            ]
        );
        assert!(parse("").is_empty());
    }
}
