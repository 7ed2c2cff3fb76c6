-- Row level security: the second wall behind the services' scoping (DESIGN.md, "Tenancy and
-- authorization"). The server runs each request in one transaction that first sets who it acts
-- for with set_config(..., true); these policies read those settings. Nothing set means nobody:
-- every tenant table then shows no row and takes no write. Identity flows that must read across
-- tenants (authentication, sign-in, invitations) use connections opened with
-- springboard.system=on. The policies apply to the server's runtime role, which owns no table;
-- the owner (who runs migrations) and superusers bypass them.

CREATE FUNCTION sb_system() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('springboard.system', true), '') = 'on' $$;
CREATE FUNCTION sb_institution() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('springboard.institution', true), '')::uuid $$;
CREATE FUNCTION sb_user() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('springboard.user', true), '')::uuid $$;
CREATE FUNCTION sb_token() RETURNS uuid LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('springboard.token', true), '')::uuid $$;
-- ADMIN and MEMBER write; VIEWER (and a READ token, which acts as one) only reads.
CREATE FUNCTION sb_writer() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('springboard.role', true), '') IN ('ADMIN', 'MEMBER') $$;
-- Institution administration is done by people, never by API tokens.
CREATE FUNCTION sb_admin() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('springboard.role', true), '') = 'ADMIN' AND sb_user() IS NOT NULL $$;
CREATE FUNCTION sb_platform_admin() RETURNS boolean LANGUAGE sql STABLE AS
$$ SELECT coalesce(current_setting('springboard.platform_admin', true), '') = 'on' $$;
-- The server's clock, not the database's: tests run the server at dates of their choosing.
CREATE FUNCTION sb_today() RETURNS date LANGUAGE sql STABLE AS
$$ SELECT nullif(current_setting('springboard.today', true), '')::date $$;

-- Sets shared by several policies. SECURITY DEFINER (they run as the owner, whom the policies
-- do not bind) so that a policy on one table can consult another without the policies calling
-- each other in a circle. Each is used as `IN (SELECT f())`: computed once per statement and
-- probed through a hash, not called per row. PL/pgSQL rather than SQL: a connection plans the
-- body once and keeps the plan, where a SQL function with these clauses is planned at every call
-- (a millisecond each, measured). They are kept small (an institution's own rows,
-- found through an index): a set as large as everything the actor sees would be rebuilt for
-- every statement, which measured several times dearer than the statement itself.
CREATE FUNCTION sb_hosted_projects() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT project_id FROM project_sites WHERE institution_id = sb_institution() AND status <> 'DECLINED';
END $$;

CREATE FUNCTION sb_funded_programmes() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT id FROM programmes WHERE funder_institution_id = sb_institution();
END $$;

-- Only for shared results, whose rule must see projects the reader does not.
CREATE FUNCTION sb_visible_projects() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT id FROM projects
   WHERE lead_institution_id = sb_institution()
      OR id IN (SELECT sb_hosted_projects())
      OR (submitted_at IS NOT NULL AND programme_id IN (SELECT sb_funded_programmes()));
END $$;

CREATE FUNCTION sb_led_projects() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT id FROM projects WHERE lead_institution_id = sb_institution();
END $$;

CREATE FUNCTION sb_programmes_taken_part() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT id FROM programmes WHERE funder_institution_id = sb_institution()
  UNION
  SELECT programme_id FROM projects WHERE lead_institution_id = sb_institution() AND programme_id IS NOT NULL
  UNION
  SELECT p.programme_id FROM projects p JOIN project_sites s ON s.project_id = p.id
   WHERE s.institution_id = sb_institution() AND s.status <> 'DECLINED' AND p.programme_id IS NOT NULL;
END $$;

CREATE FUNCTION sb_visible_results() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT r.id FROM shared_results r
   WHERE sb_institution() IS NOT NULL
     AND (r.project_id IN (SELECT sb_led_projects())
          OR (r.status = 'PUBLISHED'
              AND (r.visibility = 'PLATFORM'
                   OR r.project_id IN (SELECT sb_visible_projects())
                   OR (r.visibility = 'PROGRAMME' AND r.programme_id IN (SELECT sb_programmes_taken_part()))
                   OR r.id IN (SELECT result_version_id FROM shared_result_shares
                                WHERE institution_id = sb_institution()))));
END $$;

CREATE FUNCTION sb_led_results() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT id FROM shared_results WHERE project_id IN (SELECT sb_led_projects());
END $$;

CREATE FUNCTION sb_own_sites() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT id FROM project_sites WHERE institution_id = sb_institution();
END $$;

CREATE FUNCTION sb_led_measures() RETURNS SETOF uuid LANGUAGE plpgsql STABLE SECURITY DEFINER
SET search_path FROM CURRENT AS $$ BEGIN
  RETURN QUERY
  SELECT id FROM measures WHERE project_id IN (SELECT sb_led_projects());
END $$;


-- In the policies below, each setting is read as `(SELECT sb_x())`: an init plan evaluated once
-- per statement, not a function call per row (which measured as most of the policies' cost).
-- Every table the runtime role can reach gets RLS and a policy for identity flows.
DO $$
DECLARE t text;
BEGIN
  FOREACH t IN ARRAY ARRAY['institutions', 'users', 'memberships', 'invitations', 'api_tokens',
      'refresh_tokens', 'sign_in_throttles', 'audit_events', 'programmes', 'projects',
      'project_sites', 'team_members', 'commitments', 'capacity_assessments', 'measures',
      'observations', 'shared_results', 'shared_result_measures', 'shared_result_shares',
      'engagement_records', 'idempotency_keys'] LOOP
    EXECUTE format('ALTER TABLE %I ENABLE ROW LEVEL SECURITY', t);
    EXECUTE format('CREATE POLICY system ON %I USING ((SELECT sb_system())) WITH CHECK ((SELECT sb_system()))', t);
  END LOOP;
END $$;

-- Institutions are reference data: any caller may read a name. Platform admins create them.
CREATE POLICY read ON institutions FOR SELECT USING (true);
CREATE POLICY add ON institutions FOR INSERT WITH CHECK ((SELECT sb_platform_admin()));
CREATE POLICY change ON institutions FOR UPDATE
  USING ((id = (SELECT sb_institution()) AND (SELECT sb_admin())) OR (SELECT sb_platform_admin()))
  WITH CHECK ((id = (SELECT sb_institution()) AND (SELECT sb_admin())) OR (SELECT sb_platform_admin()));

-- A person is seen by themself, by co-members, and through the objects that name them (each
-- subquery below is itself narrowed by its table's policy).
CREATE POLICY read ON users FOR SELECT USING (
  id = (SELECT sb_user()) OR (SELECT sb_platform_admin())
  OR id IN (SELECT user_id FROM memberships WHERE institution_id = (SELECT sb_institution()))
  OR id IN (SELECT user_id FROM team_members)
  OR id IN (SELECT site_lead_user_id FROM project_sites)
  OR id IN (SELECT invited_by FROM invitations WHERE institution_id = (SELECT sb_institution()))
  OR id IN (SELECT created_by FROM api_tokens WHERE institution_id = (SELECT sb_institution()))
  OR id IN (SELECT actor_user_id FROM audit_events WHERE institution_id = (SELECT sb_institution())));
CREATE POLICY change ON users FOR UPDATE
  USING (id = (SELECT sb_user()) OR (SELECT sb_platform_admin())) WITH CHECK (id = (SELECT sb_user()) OR (SELECT sb_platform_admin()));

CREATE POLICY read ON memberships FOR SELECT
  USING (institution_id = (SELECT sb_institution()) OR user_id = (SELECT sb_user()));
CREATE POLICY add ON memberships FOR INSERT
  WITH CHECK ((institution_id = (SELECT sb_institution()) AND (SELECT sb_admin())) OR (SELECT sb_platform_admin()));
CREATE POLICY change ON memberships FOR UPDATE
  USING (institution_id = (SELECT sb_institution()) AND (SELECT sb_admin()))
  WITH CHECK (institution_id = (SELECT sb_institution()) AND (SELECT sb_admin()));
CREATE POLICY remove ON memberships FOR DELETE
  USING ((institution_id = (SELECT sb_institution()) AND (SELECT sb_admin())) OR user_id = (SELECT sb_user()));

-- Invitations, like members, are read by people, not API tokens.
CREATE POLICY read ON invitations FOR SELECT
  USING (institution_id = (SELECT sb_institution()) AND (SELECT sb_user()) IS NOT NULL);
CREATE POLICY manage ON invitations FOR ALL
  USING ((institution_id = (SELECT sb_institution()) AND (SELECT sb_admin())) OR (SELECT sb_platform_admin()))
  WITH CHECK ((institution_id = (SELECT sb_institution()) AND (SELECT sb_admin())) OR (SELECT sb_platform_admin()));

-- An institution's tokens are its admins' to see; a token may touch its own row (last use).
CREATE POLICY read ON api_tokens FOR SELECT
  USING (institution_id = (SELECT sb_institution()) AND ((SELECT sb_admin()) OR id = (SELECT sb_token())));
CREATE POLICY touch ON api_tokens FOR UPDATE
  USING (institution_id = (SELECT sb_institution()) AND ((SELECT sb_admin()) OR id = (SELECT sb_token())))
  WITH CHECK (institution_id = (SELECT sb_institution()) AND ((SELECT sb_admin()) OR id = (SELECT sb_token())));
CREATE POLICY manage ON api_tokens FOR ALL
  USING (institution_id = (SELECT sb_institution()) AND (SELECT sb_admin()))
  WITH CHECK (institution_id = (SELECT sb_institution()) AND (SELECT sb_admin()));

CREATE POLICY own ON refresh_tokens FOR ALL USING (user_id = (SELECT sb_user())) WITH CHECK (user_id = (SELECT sb_user()));

-- The audit trail is append-only for the server: read by the institution's admins, written
-- only as the actor itself, never changed or removed.
CREATE POLICY read ON audit_events FOR SELECT
  USING (institution_id = (SELECT sb_institution()) AND (SELECT sb_admin()));
CREATE POLICY add ON audit_events FOR INSERT WITH CHECK (
  (institution_id IS NOT DISTINCT FROM (SELECT sb_institution()) OR (SELECT sb_platform_admin()))
  AND actor_user_id IS NOT DISTINCT FROM (SELECT sb_user())
  AND actor_token_id IS NOT DISTINCT FROM (SELECT sb_token()));

CREATE POLICY read ON programmes FOR SELECT USING (
  funder_institution_id = (SELECT sb_institution())
  OR id IN (SELECT sb_programmes_taken_part())
  OR (bidding_opens_on <= (SELECT sb_today()) AND bidding_closes_on >= (SELECT sb_today())));
CREATE POLICY manage ON programmes FOR ALL
  USING (funder_institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()))
  WITH CHECK (funder_institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()));

-- A project is seen by its lead, its sites (until they decline) and, once submitted, its funder.
-- Whoever sees a result sees its project's title and lead, but a policy grants whole rows: the
-- server reads those two columns outside the policies (scope `ProjectsBehindResults`).
CREATE POLICY read ON projects FOR SELECT USING (
  lead_institution_id = (SELECT sb_institution())
  OR id IN (SELECT sb_hosted_projects())
  OR (submitted_at IS NOT NULL AND programme_id IN (SELECT sb_funded_programmes())));
CREATE POLICY add ON projects FOR INSERT
  WITH CHECK (lead_institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()));
-- The lead edits; the funder decides.
CREATE POLICY change ON projects FOR UPDATE
  USING ((SELECT sb_writer()) AND (lead_institution_id = (SELECT sb_institution())
                          OR programme_id IN (SELECT sb_funded_programmes())))
  WITH CHECK ((SELECT sb_writer()) AND (lead_institution_id = (SELECT sb_institution())
                               OR programme_id IN (SELECT sb_funded_programmes())));

-- Rows under a project are seen with it: `projects` in these subqueries is narrowed by its policy.
CREATE POLICY read ON project_sites FOR SELECT
  USING (project_id IN (SELECT id FROM projects) OR institution_id = (SELECT sb_institution()));
CREATE POLICY manage ON project_sites FOR ALL
  USING (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()))
  WITH CHECK (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()));
-- A host answers for its own site.
CREATE POLICY answer ON project_sites FOR UPDATE
  USING (institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()))
  WITH CHECK (institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()));

CREATE POLICY read ON team_members FOR SELECT USING (project_id IN (SELECT id FROM projects));
CREATE POLICY manage ON team_members FOR ALL
  USING (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()))
  WITH CHECK (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()));

CREATE POLICY read ON commitments FOR SELECT USING (
  institution_id = (SELECT sb_institution())
  OR project_id IN (SELECT id FROM projects)
  OR programme_id IN (SELECT sb_programmes_taken_part()));
CREATE POLICY manage ON commitments FOR ALL
  USING (institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()))
  WITH CHECK (institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()));

CREATE POLICY read ON capacity_assessments FOR SELECT USING (
  assessor_institution_id = (SELECT sb_institution())
  OR assessed_institution_id = (SELECT sb_institution())
  OR project_id IN (SELECT sb_led_projects()));
CREATE POLICY manage ON capacity_assessments FOR ALL
  USING (assessor_institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()))
  WITH CHECK (assessor_institution_id = (SELECT sb_institution()) AND (SELECT sb_writer()));

CREATE POLICY read ON measures FOR SELECT USING (project_id IN (SELECT id FROM projects));
CREATE POLICY manage ON measures FOR ALL
  USING (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()))
  WITH CHECK (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()));

CREATE POLICY read ON observations FOR SELECT USING (measure_id IN (SELECT id FROM measures));
-- The lead records for any site; a host only for its own, of a measure it sees.
CREATE POLICY manage ON observations FOR ALL
  USING ((SELECT sb_writer()) AND (measure_id IN (SELECT sb_led_measures())
                          OR (site_id IN (SELECT sb_own_sites()) AND measure_id IN (SELECT id FROM measures))))
  WITH CHECK ((SELECT sb_writer()) AND (measure_id IN (SELECT sb_led_measures())
                               OR (site_id IN (SELECT sb_own_sites()) AND measure_id IN (SELECT id FROM measures))));

CREATE POLICY read ON engagement_records FOR SELECT USING (project_id IN (SELECT id FROM projects));
CREATE POLICY manage ON engagement_records FOR ALL
  USING (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()))
  WITH CHECK (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()));

CREATE POLICY read ON shared_results FOR SELECT USING (id IN (SELECT sb_visible_results()));
CREATE POLICY manage ON shared_results FOR ALL
  USING (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()))
  WITH CHECK (project_id IN (SELECT sb_led_projects()) AND (SELECT sb_writer()));

CREATE POLICY read ON shared_result_measures FOR SELECT
  USING (result_version_id IN (SELECT sb_visible_results()));
CREATE POLICY manage ON shared_result_measures FOR ALL
  USING (result_version_id IN (SELECT sb_led_results()) AND (SELECT sb_writer()))
  WITH CHECK (result_version_id IN (SELECT sb_led_results()) AND (SELECT sb_writer()));

CREATE POLICY read ON shared_result_shares FOR SELECT
  USING (result_version_id IN (SELECT sb_led_results()) OR institution_id = (SELECT sb_institution()));
CREATE POLICY manage ON shared_result_shares FOR ALL
  USING (result_version_id IN (SELECT sb_led_results()) AND (SELECT sb_writer()))
  WITH CHECK (result_version_id IN (SELECT sb_led_results()) AND (SELECT sb_writer()));
