//! Private content: the public keys and the key group that the distribution trusts
//! (<https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_PublicKeyConfig.html>,
//! <https://docs.aws.amazon.com/cloudfront/latest/APIReference/API_KeyGroupConfig.html>).
//!
//! Both are found by name. A public key cannot change (its name comes from its content, so a new key
//! is a new resource); the key group is updated in place with `If-Match` when its keys change, so
//! that rotating a key never touches the distribution.

use aws_sdk_cloudfront::types::{KeyGroupConfig, PublicKeyConfig};

use super::{KNOWN_AFTER_APPLY, build_error, missing};
use crate::apply::event::Change;
use crate::aws::reconcile::{Outputs, Resource};
use crate::aws::{Ctx, Mode, aws_error, error_code};
use crate::error::Error;
use crate::plan::{KeyGroupParams, OutputKey, PublicKeyParams, Step};

/// A public key step.
pub(crate) struct PublicKey<'a> {
    p: &'a PublicKeyParams,
    want: PublicKeyConfig,
}

impl<'a> PublicKey<'a> {
    pub(crate) fn new(ctx: &Ctx, step: &Step, p: &'a PublicKeyParams) -> Result<Self, Error> {
        let want = PublicKeyConfig::builder()
            .caller_reference(&p.name)
            .name(&p.name)
            .encoded_key(&p.encoded_key)
            .comment(super::policy_comment(&ctx.pipeline))
            .build()
            .map_err(|e| build_error(step, e))?;
        Ok(Self { p, want })
    }
}

/// The id of the public key named `name`, if it exists.
async fn find_public_key(ctx: &Ctx, name: &str) -> Result<Option<(String, String)>, Error> {
    let mut marker: Option<String> = None;
    loop {
        let out = ctx
            .clients
            .cloudfront
            .list_public_keys()
            .set_marker(marker.take())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:ListPublicKeys", name, e))?;
        let Some(list) = out.public_key_list else {
            return Ok(None);
        };
        if let Some(k) = list.items().iter().find(|k| k.name == name) {
            return Ok(Some((k.id.clone(), k.encoded_key.clone())));
        }
        match list.next_marker {
            Some(m) if !m.is_empty() => marker = Some(m),
            _ => return Ok(None),
        }
    }
}

impl Resource for PublicKey<'_> {
    /// The id and the encoded key.
    type Live = (String, String);

    async fn read(&self, ctx: &Ctx) -> Result<Option<Self::Live>, Error> {
        find_public_key(ctx, &self.p.name).await
    }

    fn diff(&self, (_, key): &Self::Live) -> Vec<String> {
        if key.trim() == self.p.encoded_key.trim() {
            Vec::new()
        } else {
            vec!["encoded_key: (another key) -> (this key)".to_owned()]
        }
    }

    fn outputs(&self, (id, _): &Self::Live) -> Outputs {
        vec![(OutputKey::Id, id.clone())]
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let out = ctx
            .clients
            .cloudfront
            .create_public_key()
            .public_key_config(self.want.clone())
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:CreatePublicKey", &self.p.name, e))?;
        let id = out
            .public_key
            .map(|k| k.id)
            .ok_or_else(|| missing("cloudfront:CreatePublicKey", &self.p.name, "PublicKey"))?;
        Ok(vec![(OutputKey::Id, id)])
    }

    fn created_meanwhile(&self, e: &Error) -> bool {
        e.aws_code() == Some("PublicKeyAlreadyExists")
    }

    async fn update(
        &self,
        _ctx: &Ctx,
        _live: Self::Live,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        // The name is derived from the key, so another key under this name was not made by this
        // crate; CloudFront cannot change a public key's value.
        Err(Error::Conflict {
            resource: format!("CloudFront public key {}", self.p.name),
            reason: format!(
                "a public key of that name exists with another value ({}); CloudFront cannot change a public key: delete it, or rename the pipeline",
                diff.join(", ")
            ),
        })
    }

    async fn delete(&self, ctx: &Ctx, (id, _): Self::Live) -> Result<Change, Error> {
        let etag = match ctx.clients.cloudfront.get_public_key().id(&id).send().await {
            Ok(out) => out
                .e_tag
                .ok_or_else(|| missing("cloudfront:GetPublicKey", &self.p.name, "ETag"))?,
            Err(e) if error_code(&e) == Some("NoSuchPublicKey") => return Ok(Change::Absent),
            Err(e) => return Err(aws_error("cloudfront:GetPublicKey", &self.p.name, e)),
        };
        match ctx
            .clients
            .cloudfront
            .delete_public_key()
            .id(&id)
            .if_match(etag)
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("NoSuchPublicKey") => Ok(Change::Absent),
            Err(e) => Err(aws_error("cloudfront:DeletePublicKey", &self.p.name, e)),
        }
    }
}

/// The key group step.
pub(crate) struct KeyGroup<'a> {
    p: &'a KeyGroupParams,
    /// The public key ids, or [`KNOWN_AFTER_APPLY`] for a key a refresh has not created.
    key_ids: Vec<String>,
    comment: String,
}

impl<'a> KeyGroup<'a> {
    pub(crate) fn new(
        ctx: &Ctx,
        step: &Step,
        p: &'a KeyGroupParams,
        mode: Mode,
    ) -> Result<Self, Error> {
        let key_ids = p
            .public_key_ids
            .iter()
            .map(|v| {
                Ok(ctx
                    .value(step, v, mode)?
                    .unwrap_or_else(|| KNOWN_AFTER_APPLY.to_owned()))
            })
            .collect::<Result<Vec<_>, Error>>()?;
        Ok(Self {
            p,
            key_ids,
            comment: super::policy_comment(&ctx.pipeline),
        })
    }

    fn want(&self) -> Result<KeyGroupConfig, Error> {
        KeyGroupConfig::builder()
            .name(&self.p.name)
            .set_items(Some(self.key_ids.clone()))
            .comment(&self.comment)
            .build()
            .map_err(|e| Error::internal("cloudfront.key_group", e.to_string()))
    }

    async fn etag(&self, ctx: &Ctx, id: &str) -> Result<Option<String>, Error> {
        match ctx.clients.cloudfront.get_key_group().id(id).send().await {
            Ok(out) => out
                .e_tag
                .map(Some)
                .ok_or_else(|| missing("cloudfront:GetKeyGroup", &self.p.name, "ETag")),
            Err(e) if error_code(&e) == Some("NoSuchResource") => Ok(None),
            Err(e) => Err(aws_error("cloudfront:GetKeyGroup", &self.p.name, e)),
        }
    }
}

fn sorted(v: &[String]) -> Vec<String> {
    let mut v = v.to_vec();
    v.sort();
    v
}

impl Resource for KeyGroup<'_> {
    /// The id and the public key ids.
    type Live = (String, Vec<String>);

    async fn read(&self, ctx: &Ctx) -> Result<Option<Self::Live>, Error> {
        let mut marker: Option<String> = None;
        loop {
            let out = ctx
                .clients
                .cloudfront
                .list_key_groups()
                .set_marker(marker.take())
                .send()
                .await
                .map_err(|e| aws_error("cloudfront:ListKeyGroups", &self.p.name, e))?;
            let Some(list) = out.key_group_list else {
                return Ok(None);
            };
            for summary in list.items() {
                let Some(group) = summary.key_group.as_ref() else {
                    continue;
                };
                if let Some(cfg) = group.key_group_config.as_ref()
                    && cfg.name == self.p.name
                {
                    return Ok(Some((group.id.clone(), cfg.items.clone())));
                }
            }
            match list.next_marker {
                Some(m) if !m.is_empty() => marker = Some(m),
                _ => return Ok(None),
            }
        }
    }

    fn diff(&self, (_, keys): &Self::Live) -> Vec<String> {
        let (old, new) = (sorted(keys), sorted(&self.key_ids));
        if old == new {
            Vec::new()
        } else {
            vec![format!(
                "public_keys: [{}] -> [{}]",
                old.join(", "),
                new.join(", ")
            )]
        }
    }

    fn outputs(&self, (id, _): &Self::Live) -> Outputs {
        vec![(OutputKey::Id, id.clone())]
    }

    async fn create(&self, ctx: &Ctx) -> Result<Outputs, Error> {
        let out = ctx
            .clients
            .cloudfront
            .create_key_group()
            .key_group_config(self.want()?)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:CreateKeyGroup", &self.p.name, e))?;
        let id = out
            .key_group
            .map(|g| g.id)
            .ok_or_else(|| missing("cloudfront:CreateKeyGroup", &self.p.name, "KeyGroup"))?;
        Ok(vec![(OutputKey::Id, id)])
    }

    fn created_meanwhile(&self, e: &Error) -> bool {
        e.aws_code() == Some("KeyGroupAlreadyExists")
    }

    async fn update(
        &self,
        ctx: &Ctx,
        (id, _): Self::Live,
        diff: Vec<String>,
    ) -> Result<(Change, Outputs), Error> {
        let etag = self
            .etag(ctx, &id)
            .await?
            .ok_or_else(|| missing("cloudfront:GetKeyGroup", &self.p.name, "KeyGroup"))?;
        ctx.clients
            .cloudfront
            .update_key_group()
            .id(&id)
            .if_match(etag)
            .key_group_config(self.want()?)
            .send()
            .await
            .map_err(|e| aws_error("cloudfront:UpdateKeyGroup", &self.p.name, e))?;
        Ok((Change::Update { diff }, vec![(OutputKey::Id, id)]))
    }

    async fn delete(&self, ctx: &Ctx, (id, _): Self::Live) -> Result<Change, Error> {
        let Some(etag) = self.etag(ctx, &id).await? else {
            return Ok(Change::Absent);
        };
        match ctx
            .clients
            .cloudfront
            .delete_key_group()
            .id(&id)
            .if_match(etag)
            .send()
            .await
        {
            Ok(_) => Ok(Change::Delete),
            Err(e) if error_code(&e) == Some("NoSuchResource") => Ok(Change::Absent),
            Err(e) => Err(aws_error("cloudfront:DeleteKeyGroup", &self.p.name, e)),
        }
    }
}
