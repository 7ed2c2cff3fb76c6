DO $$
DECLARE p record;
BEGIN
  FOR p IN SELECT policyname, tablename FROM pg_policies WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP POLICY %I ON %I', p.policyname, p.tablename);
  END LOOP;
  FOR p IN SELECT c.relname AS tablename FROM pg_class c
            WHERE c.relnamespace = current_schema()::regnamespace AND c.relkind = 'r' AND c.relrowsecurity LOOP
    EXECUTE format('ALTER TABLE %I DISABLE ROW LEVEL SECURITY', p.tablename);
  END LOOP;
END $$;
DROP FUNCTION sb_led_measures(), sb_own_sites(),
  sb_led_results(), sb_visible_results(), sb_programmes_taken_part(),
  sb_led_projects(), sb_visible_projects(), sb_funded_programmes(), sb_hosted_projects(), sb_today(), sb_platform_admin(), sb_admin(),
  sb_writer(), sb_token(), sb_user(), sb_institution(), sb_system();
