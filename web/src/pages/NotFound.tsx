import { Link } from '../router.tsx';
import { PageHeading } from '../components/ui.tsx';

export function NotFoundPage({ what = 'This page' }: { what?: string }) {
  return (
    <>
      <PageHeading title="Not found" />
      <p>{what} does not exist, or you may not see it.</p>
      <p><Link href="/">Back to the rooms</Link></p>
    </>
  );
}
