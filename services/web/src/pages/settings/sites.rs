//! Sites: the customer's locations for on-site work (name, address, dispatch region,
//! coordinates, a contact). Each row edits or removes one; a filled last row adds one.

use askama::Template;
use uuid::Uuid;

use canopy_api::tenants::{ConfigView, Site, TenantConfig};

use super::form::{Input, Mistakes, Posted, row_name};
use super::placement::{ListEdit, Placement};
use super::{Frame, Section};
use crate::i18n::Lang;
use crate::pages::{Chrome, FieldErrors};

pub struct Sites;

#[derive(Clone, Debug, Default, PartialEq)]
pub struct SiteRow {
    pub at: Option<usize>,
    pub name: String,
    pub address: String,
    pub region: String,
    pub latitude: String,
    pub longitude: String,
    pub contact: String,
    pub remove: bool,
}

impl SiteRow {
    fn is_blank(&self) -> bool {
        [&self.name, &self.address, &self.region, &self.latitude, &self.longitude, &self.contact]
            .iter()
            .all(|s| s.trim().is_empty())
    }

    /// The row's site (keeping `id`), or the mistakes in it.
    fn site(&self, n: usize, id: Uuid, mistakes: &mut Mistakes) -> Site {
        let mut coordinate = |text: &str, field: &str| {
            let text = text.trim();
            if text.is_empty() {
                return None;
            }
            let parsed = text.replace(',', ".").parse::<f64>().ok().filter(|x| x.is_finite());
            if parsed.is_none() {
                mistakes.add(row_name(n, field), "cfg-error-number");
            }
            parsed
        };
        let latitude = coordinate(&self.latitude, "latitude");
        let longitude = coordinate(&self.longitude, "longitude");
        let contact = self.contact.trim();
        Site {
            id,
            name: self.name.trim().to_owned(),
            address: self.address.trim().to_owned(),
            region: self.region.trim().to_owned(),
            latitude,
            longitude,
            contact: (!contact.is_empty()).then(|| contact.to_owned()),
        }
    }
}

pub struct SitesForm {
    pub rows: Vec<SiteRow>,
}

pub struct RowView {
    pub n: usize,
    pub at: Option<usize>,
    pub name: Input,
    pub address: Input,
    pub region: Input,
    pub latitude: Input,
    pub longitude: Input,
    pub contact: Input,
    pub remove: Input,
}

#[derive(Template)]
#[template(path = "settings/sites.html")]
pub struct SitesPage {
    pub ctx: Chrome,
    pub frame: Frame,
    pub rows: Vec<RowView>,
}

impl Section for Sites {
    const PATH: &'static str = "/admin/settings/sites";
    type Form = SitesForm;

    fn form_of(config: &TenantConfig) -> SitesForm {
        let text = |x: Option<f64>| x.map(|x| x.to_string()).unwrap_or_default();
        let rows = config
            .sites
            .iter()
            .enumerate()
            .map(|(i, s)| SiteRow {
                at: Some(i),
                name: s.name.clone(),
                address: s.address.clone(),
                region: s.region.clone(),
                latitude: text(s.latitude),
                longitude: text(s.longitude),
                contact: s.contact.clone().unwrap_or_default(),
                remove: false,
            })
            .collect();
        SitesForm { rows }
    }

    fn parse(posted: &Posted) -> SitesForm {
        let rows = posted
            .rows()
            .map(|r| SiteRow {
                at: r.at(),
                name: r.text("name"),
                address: r.text("address"),
                region: r.text("region"),
                latitude: r.text("latitude"),
                longitude: r.text("longitude"),
                contact: r.text("contact"),
                remove: r.on("remove"),
            })
            .collect();
        SitesForm { rows }
    }

    fn apply(form: &SitesForm, config: &mut TenantConfig, lang: Lang) -> Result<Placement, FieldErrors> {
        let mut mistakes = Mistakes::new(lang);
        let mut list = ListEdit::new(std::mem::take(&mut config.sites));
        for (n, row) in form.rows.iter().enumerate() {
            match row.at {
                Some(i) if row.remove => list.remove(i),
                Some(i) => {
                    if let Some(site) = list.edit(i, n) {
                        *site = row.site(n, site.id, &mut mistakes);
                    }
                }
                None if row.is_blank() => {}
                None => list.add(row.site(n, Uuid::now_v7(), &mut mistakes), n),
            }
        }
        let mut placement = Placement::default();
        config.sites = list.finish("sites", &mut placement);
        if mistakes.is_empty() { Ok(placement) } else { Err(mistakes.into_errors()) }
    }

    fn page(
        ctx: Chrome,
        frame: Frame,
        _view: &ConfigView,
        form: SitesForm,
        errors: FieldErrors,
    ) -> impl Template {
        let mut rows = form.rows;
        if rows.last().is_none_or(|r| r.at.is_some()) {
            rows.push(SiteRow::default());
        }
        let rows = rows
            .into_iter()
            .enumerate()
            .map(|(n, r)| RowView {
                n,
                at: r.at,
                name: Input::new(row_name(n, "name"), r.name, &errors),
                address: Input::new(row_name(n, "address"), r.address, &errors),
                region: Input::new(row_name(n, "region"), r.region, &errors),
                latitude: Input::new(row_name(n, "latitude"), r.latitude, &errors),
                longitude: Input::new(row_name(n, "longitude"), r.longitude, &errors),
                contact: Input::new(row_name(n, "contact"), r.contact, &errors),
                remove: Input::check(row_name(n, "remove"), r.remove, &errors),
            })
            .collect();
        SitesPage { ctx, frame, rows }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use canopy_api::tenants::Locale;
    use canopy_kernel::FieldError;

    fn hq() -> Site {
        Site {
            id: Uuid::now_v7(),
            name: "HQ".into(),
            address: "1 Century Avenue, Pudong".into(),
            region: "shanghai-pudong".into(),
            latitude: Some(31.2397),
            longitude: Some(121.4998),
            contact: None,
        }
    }

    #[test]
    fn a_site_keeps_its_id_through_an_edit_and_a_new_one_gets_one() {
        let mut doc = TenantConfig::initial("Asia/Shanghai", Locale::ZhCn);
        doc.sites = vec![hq()];
        let before = doc.clone();
        let mut form = Sites::form_of(&doc);
        assert_eq!((form.rows[0].latitude.as_str(), form.rows[0].contact.as_str()), ("31.2397", ""));
        let mut same = doc.clone();
        Sites::apply(&form, &mut same, Lang::En).unwrap_or_else(|_| panic!("refused"));
        assert_eq!(same, before, "read and written back unchanged");

        form.rows[0].contact = "Ms Wang, 021-5555".into();
        form.rows.push(SiteRow {
            name: "Warehouse".into(),
            address: "8 Harbour Rd".into(),
            region: "shanghai-baoshan".into(),
            ..SiteRow::default()
        });
        let placement = Sites::apply(&form, &mut doc, Lang::En).unwrap_or_else(|_| panic!("refused"));
        assert_eq!(doc.sites[0].id, before.sites[0].id);
        assert_eq!(doc.sites[0].contact.as_deref(), Some("Ms Wang, 021-5555"));
        assert_ne!(doc.sites[1].id, doc.sites[0].id);
        assert_eq!((doc.sites[1].latitude, doc.sites[1].longitude), (None, None));
        let (placed, _) = placement.place(vec![FieldError::new("sites[1].region", "bad")]);
        assert_eq!(placed.of("rows[1].region"), Some("bad"));
    }

    #[test]
    fn a_coordinate_that_is_no_number_is_shown_beside_it_and_removal_removes() {
        let mut doc = TenantConfig::initial("UTC", Locale::En);
        doc.sites = vec![hq()];
        let mut form = Sites::form_of(&doc);
        form.rows[0].latitude = "north".into();
        let Err(errors) = Sites::apply(&form, &mut doc.clone(), Lang::En) else { panic!("accepted") };
        assert!(errors.of("rows[0].latitude").is_some());
        form.rows[0].remove = true;
        Sites::apply(&form, &mut doc, Lang::En).unwrap_or_else(|_| panic!("refused"));
        assert!(doc.sites.is_empty());
    }
}
